"""Berkas pipeline: intake -> preprocess -> OCR -> classify -> extract -> checks -> decision -> store."""

__version__ = "0.1.0"

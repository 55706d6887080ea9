"""The seam between the pipeline and OCR. Tests plug in fake engines with canned words."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from pipeline.context import OcrPage


class OcrEngine(Protocol):
    name: str

    def read(self, image: np.ndarray, *, psm: int = 3, whitelist: str | None = None) -> OcrPage:
        """Words with boxes and confidences (0..1) of a grayscale or BGR uint8 image."""
        ...

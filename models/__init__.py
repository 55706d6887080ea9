"""Pydantic models of the Berkas contract (registration in, result out)."""

from models.contract import (
    Check,
    CheckStatus,
    DocType,
    DocumentResult,
    DossierResult,
    DossierStatus,
    Evidence,
    FileError,
    Registration,
    Wilayah,
)

__all__ = [
    "Check",
    "CheckStatus",
    "DocType",
    "DocumentResult",
    "DossierResult",
    "DossierStatus",
    "Evidence",
    "FileError",
    "Registration",
    "Wilayah",
]

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


def as_gray(image: np.ndarray) -> np.ndarray:
    """A 2-D uint8 view of a grayscale, BGR or BGRA image (engines accept any of them)."""
    if image.ndim == 2:
        return image if image.dtype == np.uint8 else np.clip(image, 0, 255).astype(np.uint8)
    import cv2

    code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(image.astype(np.uint8, copy=False), code)

"""Unit-test fixtures shared by modules."""

from __future__ import annotations

import pytest

from pipeline.errors import EngineMissing
from pipeline.ocr import factory


@pytest.fixture(scope="module", params=["tesserocr", "pytesseract"])
def engine(request):
    """Each real OCR engine in turn (a module that needs another kind of engine defines its own `engine`)."""
    try:
        return factory.make_engine(request.param)
    except EngineMissing as e:
        pytest.fail(f"tesseract is part of the set-up (scripts/setup.sh): {e}")

"""The process's runtime loads the neural engine beside tesseract (BERKAS_OCR_NEURAL) and hands both to the
readers; a setting that asks for the engine while its models are missing stops the process."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings
from pipeline.errors import EngineMissing
from pipeline.ocr import neural
from pipeline.reading.protocol import NEURAL, PRIMARY
from pipeline.runtime import Runtime
from tests.unit.ocr_fakes import NoEngine


@pytest.mark.neural
def test_the_default_settings_load_both_engines_once_and_readers_get_them() -> None:
    runtime = Runtime.load(Settings())
    tools = runtime.reading
    assert getattr(runtime.neural, "name", None) == "ppocr"
    assert tools.engine is runtime.engine and tools.neural is runtime.neural
    assert tools.engine_named(NEURAL) is runtime.neural and sorted(tools.engines) == sorted([PRIMARY, NEURAL])
    assert runtime.reading is tools  # built once


def test_neural_off_runs_tesseract_alone() -> None:
    runtime = Runtime.load(Settings(ocr_neural="off"))
    assert runtime.neural is None and runtime.reading.neural is None
    assert list(runtime.reading.engines) == [PRIMARY]


def test_missing_models_stop_the_process_with_what_to_install(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(neural, "default_model_dir", lambda: tmp_path)  # an installed package without its models
    with pytest.raises(EngineMissing, match=r"model OCR neural .*pip install"):
        Runtime.load(Settings(ocr_neural="ppocr"))


def test_a_stand_in_engine_builds_no_neural_engine_unless_given() -> None:
    fake = NoEngine()
    assert Runtime.load(Settings(), engine=fake).neural is None
    other = NoEngine()
    runtime = Runtime.load(Settings(), engine=fake, neural=other)
    assert runtime.reading.engines == {PRIMARY: fake, NEURAL: other}

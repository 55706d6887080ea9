"""Tick-box health letters from the sample generator, read by the real OCR engine (slow: opt-in).

GIVEN a generated 'sehat/table' letter whose conclusion is printed as two tick boxes, WHEN it is read as
a clean scan and as a black-and-white photocopy, THEN a letter ticked TIDAK SEHAT never reads SEHAT, and
the clean scans read the ticked option."""

from __future__ import annotations

import io

import numpy as np
import pytest

from config.settings import Settings
from pipeline import intake
from pipeline.reading import read_page
from pipeline.runtime import Runtime
from scripts.samplegen import damage, sehat_alt
from scripts.samplegen.people import make_person

pytestmark = pytest.mark.slow


def _tick_letter(healthy: bool):  # noqa: ANN202 - the generator's Page
    for seed in range(200):
        rng = np.random.default_rng(seed)
        page, fields, _ = sehat_alt.sehat_page(rng, make_person(rng), "sehat/table", healthy=healthy)
        texts = [getattr(op, "text", "") for op in page.ops]
        if "Tidak Sehat" in texts:  # the option printed on its own: the tick-box conclusion
            return rng, page, fields
    raise AssertionError("no tick-box letter in 200 seeds")


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return Runtime.load(Settings())


def _read(runtime: Runtime, image) -> object:  # noqa: ANN001
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG")
    data = buf.getvalue()
    pages, _ = intake.load_pages("letter.png", data, sha256="0" * 64, limits=Settings().limits, guarded=False)
    reading = read_page(pages[0], runtime.reading)
    return reading.fields.get("kesimpulan")


@pytest.mark.parametrize("healthy", [True, False], ids=["sehat_ticked", "tidak_sehat_ticked"])
@pytest.mark.parametrize("wanted", [[], ["bw_photocopy"]], ids=["clean", "photocopy"])
def test_generated_tick_box_letters(runtime: Runtime, healthy: bool, wanted: list[str]) -> None:
    rng, page, fields = _tick_letter(healthy)
    shot = damage.shoot_damaged(rng, page, "clean_scan", wanted)
    fv = _read(runtime, shot.image)
    if not healthy:
        assert fv is None or fv.value != "SEHAT" or fv.confidence < 0.6  # below the rules' min_field: review
    if not wanted:
        assert fv is not None and fv.value == fields["kesimpulan"]

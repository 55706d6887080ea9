"""Field mode of the sample generator (`--layouts field`): capture forms, handwriting, truth marks."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scripts.generate_samples import main
from scripts.samplegen import fieldmode, handwriting, ijazah_hand, restyle
from scripts.samplegen.families import parse
from scripts.samplegen.generate import generate
from scripts.samplegen.ktp import ktp_page
from scripts.samplegen.layout import FONTS, Picture, Text, rasterize
from scripts.samplegen.people import make_person
from scripts.samplegen.render import Shot
from scripts.samplegen.sehat_alt import sehat_page
from scripts.samplegen.text import BULAN

HAND_FIELDS = {"nama", "tempat_lahir", "tanggal_lahir"}


def _truth(out: Path) -> dict:
    return json.loads((out / "truth.json").read_text(encoding="utf-8"))


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _texts(page) -> str:
    return " ".join(op.text for op in page.ops if isinstance(op, Text))


def _tiny(rng: np.random.Generator, page, form: str, *, text_pdf_ok: bool) -> fieldmode.Capture:
    """A stand-in capture: the form's variant and damage on a tiny image (for tests of the draws, not pixels)."""
    variant = {"flatbed": "flatbed_scan", "low_dpi": "low_dpi_scan", "phone_photo": "phone_photo",
               "photocopy": "photocopy", "pdf": "image_pdf", "rotated": "rotated_scan"}[form]
    return fieldmode.Capture(Shot(Image.new("RGB", (40, 30), "white"), 100.0), variant, [], 80,
                             form in fieldmode.DAMAGED_FORMS)


def _stubbed(out: Path, **kwargs) -> dict:
    mp = pytest.MonkeyPatch()
    mp.setattr(fieldmode, "capture", _tiny)
    try:
        generate(out, layouts="field", **kwargs)
    finally:
        mp.undo()
    return _truth(out)


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """GIVEN a 30-dossier field batch whose captures are stubbed (tiny images): the draws, not the pixels."""
    return _stubbed(tmp_path_factory.mktemp("field_plan"), count=30, seed=1201)


def test_every_scenario_keeps_its_expected_status_in_field_mode(tmp_path: Path) -> None:
    """GIVEN one field-mode dossier per scenario WHEN the rules see the true values THEN each gets its status."""
    from scripts.evaluate import truth_only_results
    from scripts.samplegen.scenarios import SCENARIOS

    truth = _stubbed(tmp_path, count=len(SCENARIOS) + 1, seed=8, scenarios=list(SCENARIOS))
    results = truth_only_results(tmp_path)
    for dossier_id, t in truth["dossiers"].items():
        reasons = {c["reason"] for c in results[dossier_id]["checks"] if c["status"] != "pass"}
        assert results[dossier_id]["status"] == t["expected_status"], (t["scenario"], sorted(reasons))
        assert set(t["expected_reasons"]) <= reasons


def test_field_batch_has_every_capture_form_and_mostly_damaged_pages(planned: dict) -> None:
    pages = [p for d in planned["dossiers"].values() for p in d["pages"]]
    forms = Counter(p["capture"] for p in pages)
    assert set(forms) == set(fieldmode.FORMS)
    assert sum(p["damaged"] for p in pages) / len(pages) >= 0.5
    assert planned["layouts"] == "field"


def test_field_batch_marks_every_field_and_the_handwritten_ones(planned: dict) -> None:
    families = Counter()
    for d in planned["dossiers"].values():
        for p in d["pages"]:
            if p["type"] == "unknown":
                continue
            families[p["layout"]] += 1
            marks = p["field_marks"]
            assert set(marks) == set(p["fields"])
            assert all(set(m) == {"handwritten", "legible", "stamped"} for m in marks.values())
            hand = {k for k, m in marks.items() if m["handwritten"]}
            if p["layout"] == ijazah_hand.FAMILY:
                assert hand == HAND_FIELDS
            elif p["type"] != "surat_sehat":  # health-letter forms may be filled in by hand
                assert not hand
            assert all(m["legible"] for k, m in marks.items() if k not in hand)
    assert families[ijazah_hand.FAMILY] >= 1
    assert len({f for f in families if f.endswith("/classic")}) == 3  # the older designs are still drawn


def test_field_mode_is_deterministic_per_seed(tmp_path: Path) -> None:
    kwargs = {"count": 1, "scenarios": ["complete"], "layouts": "field", "variants": ["low_dpi_scan"]}
    generate(tmp_path / "a", seed=12, **kwargs)
    generate(tmp_path / "b", seed=12, **kwargs)
    generate(tmp_path / "c", seed=13, **kwargs)
    a, b, c = (_digest(tmp_path / n) for n in "abc")
    assert a == b
    assert a != c


@pytest.mark.parametrize("form", fieldmode.FORMS)
def test_each_capture_form_renders_a_card(form: str) -> None:
    rng = np.random.default_rng(4)
    page, _ = ktp_page(rng, make_person(rng))
    cap = fieldmode.capture(np.random.default_rng(5), page, form, text_pdf_ok=False)
    again = fieldmode.capture(np.random.default_rng(5), page, form, text_pdf_ok=False)
    assert cap.shot is not None and again.shot is not None
    img = cap.shot.image
    assert np.array_equal(np.asarray(img), np.asarray(again.shot.image))  # the same draws, the same pixels
    assert min(img.size) >= 200
    assert cap.damaged == (form in fieldmode.DAMAGED_FORMS) or form in ("pdf", "rotated")
    if form == "low_dpi":
        assert 100 <= cap.shot.dpi <= 150 and cap.quality <= 75
    if form == "photocopy":
        arr = np.asarray(img).astype(int)
        assert np.abs(arr[..., 0] - arr[..., 2]).max() <= 2  # grey
        assert any(e.startswith("copy_gen") for e in cap.effects)
    if form == "rotated":
        assert cap.shot.rotation in (90, 180, 270)
    if form == "phone_photo":
        assert cap.shot.dpi == 0 and max(img.size) in (1600, 2000)


def test_text_pdf_only_where_allowed() -> None:
    rng = np.random.default_rng(1)
    page, _ = ktp_page(rng, make_person(rng))
    variants = {fieldmode.capture(rng, page, "pdf", text_pdf_ok=False).variant for _ in range(4)}
    assert variants == {"image_pdf"}
    assert fieldmode.allowed_forms(("text_pdf",)) == ("pdf",)  # a KTP then goes into an image PDF
    with pytest.raises(ValueError, match="no capture form"):
        fieldmode.allowed_forms(())


def test_handwritten_diploma_writes_the_truth_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN the hand that fills in the form WHEN a diploma is drawn THEN it writes exactly the truth values."""
    written: list[str] = []
    real = handwriting.write

    def spy(rng, text, height_mm, w, **kw):
        written.append(text)
        return real(rng, text, height_mm, w, **kw)

    monkeypatch.setattr(handwriting, "write", spy)
    rng = np.random.default_rng(2)
    person = make_person(rng, min_age=40, max_age=50)
    page, fields, _, marks = ijazah_hand.ijazah_page(rng, person, "SMA")
    assert {k for k, m in marks.items() if m["handwritten"]} == HAND_FIELDS
    assert fields["nama"] in {w.upper() for w in written}
    born = date.fromisoformat(fields["tanggal_lahir"])
    place = fields["tempat_lahir"].title()
    forms = {f"{born.day} {BULAN[born.month - 1]} {born.year}", f"{born.day}-{born.month}-{born.year}",
             f"{born.day:02d} - {born.month:02d} - {born.year}"}
    assert any(w.upper() in {f"{place}, {f}".upper() for f in forms} for w in written) or (
        place in written and any(w.upper() in {f.upper() for f in forms} for w in written))
    printed = _texts(page)
    assert fields["nama_sekolah"] in printed and str(fields["tahun_lulus"]) in printed
    assert sum(isinstance(op, Picture) and op.image.mode == "RGBA" for op in page.ops) == len(written)


def test_illegible_entries_occur_and_are_marked() -> None:
    seen = Counter()
    for seed in range(12):
        rng = np.random.default_rng(seed)
        _, _, _, marks = ijazah_hand.ijazah_page(rng, make_person(rng, min_age=40, max_age=50), "SMP")
        seen.update(m["legible"] for k, m in marks.items() if k in HAND_FIELDS)
    assert seen[True] > seen[False] > 0


def test_eligibility_keeps_handwriting_to_older_diplomas() -> None:
    rng = np.random.default_rng(0)
    young = make_person(rng, min_age=17, max_age=20)
    old = make_person(rng, min_age=45, max_age=50)
    assert not ijazah_hand.eligible(young, "SMA") and ijazah_hand.eligible(old, "SMA")
    assert not ijazah_hand.eligible(old, "S1")
    assert "ijazah/handwritten" not in parse("all").families["ijazah"]  # the older modes' draws stay as they were
    assert "ijazah/handwritten" in parse("field").families["ijazah"]


def test_restyle_keeps_the_text_and_never_widens_it() -> None:
    rng = np.random.default_rng(3)
    page, fields = ktp_page(rng, make_person(rng))
    styled, what = restyle.restyle(np.random.default_rng(9), page, share=1.0)
    assert what and what.startswith("font:")
    before = [op for op in page.ops if isinstance(op, Text)]
    after = [op for op in styled.ops if isinstance(op, Text)]
    assert [op.text for op in before] == [op.text for op in after]
    assert any(a.font != b.font for a, b in zip(before, after, strict=True))
    assert all(a.size <= b.size for a, b in zip(after, before, strict=True))
    assert {b.font for a, b in zip(after, before, strict=True) if b.font == "ocra"} <= {"ocra"}  # NIK stays OCR-A
    rasterize(styled, 100)  # draws, also with letter spacing


def test_health_letter_stamps_and_pen_entries_are_marked() -> None:
    stamped = Counter()
    for seed in range(10):
        rng = np.random.default_rng(seed)
        page, fields, marks = sehat_page(rng, make_person(rng), "sehat/table")
        doc = fieldmode._Prepared("surat_sehat", page, fields, "sehat/table", marks)
        prep = fieldmode.prepare(np.random.default_rng(seed), doc)
        for k, m in prep.field_marks.items():
            stamped[k] += m["stamped"]
            if m["handwritten"]:
                assert k in ("nama", "tekanan_darah")
        if any(m["stamped"] for m in prep.field_marks.values()):
            assert "stamp_over_value" in prep.marks
    assert stamped["tanggal_surat"] + stamped["kesimpulan"] + stamped["nama"] >= 5


def test_missing_font_stops_with_the_package_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(handwriting.HANDS, "print", ("/nonexistent/dkg.ttf", "fonts-dkg-handwriting"))
    with pytest.raises(RuntimeError, match="fonts-dkg-handwriting"):
        fieldmode.require_fonts()
    monkeypatch.setitem(FONTS, "carlito", "/nonexistent/Carlito.ttf")
    assert main(["--out", str(tmp_path), "--count", "1", "--layouts", "field"]) == 1
    assert "fonts-crosextra-carlito" in capsys.readouterr().err

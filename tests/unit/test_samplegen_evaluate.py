"""The accuracy evaluation's figures: breakdowns, straight-through, false accepts, handwriting outcomes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import evaluate
from scripts.samplegen import gauge


def _page(file: str, type_: str, fields: dict, **extra) -> dict:
    return {"file": file, "page": 1, "type": type_, "variant": extra.pop("variant", "flatbed_scan"),
            "fields": fields, **extra}


def _doc(file: str, type_: str, fields: dict, conf: float = 0.9) -> dict:
    return {"file": file, "page": 1, "type": type_, "fields": fields, "confidence": dict.fromkeys(fields, conf)}


def _unreadable(file: str, type_: str, field: str) -> dict:
    return {"id": "identity_ktp_ijazah_nama", "status": "review", "reason": "FIELD_UNREADABLE",
            "evidence": [{"file": file, "document": type_, "field": field}]}


HAND = {"handwritten": True, "stamped": False}


@pytest.fixture()
def batch() -> tuple[dict, dict]:
    """GIVEN three dossiers: a complete one read right, a complete one sent to review, and a false accept;
    with handwritten ijazah fields read right, left empty and flagged, left empty silently, and guessed."""
    truth = {"seed": 5, "layouts": "field", "generator_version": "x", "count": 3, "dossiers": {
        "A": {"scenario": "complete", "expected_status": "complete", "expected_reasons": [], "pages": [
            _page("a1.jpg", "ktp", {"nik": "1", "nama": "BUDI"}, capture="phone_photo", damaged=True,
                  layout="ktp/wide"),
            _page("a2.jpg", "ijazah", {"nama": "BUDI", "tanggal_lahir": "1980-01-02"}, capture="photocopy",
                  damaged=True, layout="ijazah/handwritten",
                  field_marks={"nama": {**HAND, "legible": True}, "tanggal_lahir": {**HAND, "legible": False}})]},
        "B": {"scenario": "complete", "expected_status": "complete", "expected_reasons": [], "pages": [
            _page("b1.jpg", "ijazah", {"nama": "SITI", "tanggal_lahir": "1979-03-04"}, capture="flatbed",
                  damaged=False, layout="ijazah/handwritten",
                  field_marks={"nama": {**HAND, "legible": False}, "tanggal_lahir": {**HAND, "legible": False}})]},
        "C": {"scenario": "under_age", "expected_status": "not_eligible", "expected_reasons": ["UNDER_AGE"],
              "pages": [_page("c1.jpg", "ktp", {"nik": "2", "nama": "EKO"}, variant="low_dpi_scan")]},
    }}
    results = {
        "A": {"status": "complete", "checks": [], "documents": [
            _doc("a1.jpg", "ktp", {"nik": "1", "nama": "BUDI"}),
            _doc("a2.jpg", "ijazah", {"nama": "BUDI", "tanggal_lahir": None})]},
        "B": {"status": "needs_review", "checks": [_unreadable("b1.jpg", "ijazah", "nama")], "documents": [
            _doc("b1.jpg", "ijazah", {"nama": None, "tanggal_lahir": "1979-08-04"}, conf=0.4)]},
        "C": {"status": "complete", "checks": [], "documents": [_doc("c1.jpg", "ktp", {"nik": "2", "nama": "EK0"})]},
    }
    return truth, results


def test_straight_through_and_false_accepts(batch: tuple[dict, dict]) -> None:
    rep = evaluate.compare(*batch)
    assert rep["straight_through"] == {"complete_in_truth": 2, "ended_complete": 1, "rate": 0.5}
    assert rep["false_accepts"] == ["C"] and rep["false_accept_count"] == 1
    assert rep["reason_recall"] == 0.0


def test_breakdowns_per_capture_family_and_damage(batch: tuple[dict, dict]) -> None:
    rep = evaluate.compare(*batch)
    assert set(rep["by_capture"]) == {"phone_photo", "photocopy", "flatbed", "low_dpi"}  # c1 from its variant
    assert rep["by_capture"]["phone_photo"]["field_exact"] == 1.0
    assert rep["by_capture"]["low_dpi"]["key"]["ktp.nama"] == {"n": 1, "exact": 0.0}
    assert rep["by_family"]["ijazah/handwritten"]["fields"] == 4
    assert rep["by_family"]["ijazah/handwritten"]["field_exact"] == 0.25
    assert rep["damaged_pages"] == {"n": 3, "share": 0.75}  # a low-dpi scan counts as damaged
    assert rep["by_damage"]["undamaged"]["pages"] == 1


def test_handwriting_outcomes(batch: tuple[dict, dict]) -> None:
    hw = evaluate.compare(*batch, min_conf=0.6)["handwriting"]
    assert hw["legible"] == {"n": 1, "right": 1, "empty_unreadable": 0, "empty_unflagged": 0, "wrong": 0,
                             "wrong_low_conf": 0}
    assert hw["illegible"] == {"n": 3, "right": 0, "empty_unreadable": 1, "empty_unflagged": 1, "wrong": 1,
                               "wrong_low_conf": 1}


def test_capture_of_older_batches() -> None:
    assert gauge.capture_of({"variant": "clean_scan"}) == "flatbed"
    assert gauge.capture_of({"variant": "flatbed_scan", "degradations": ["bw_photocopy"]}) == "photocopy"
    assert gauge.capture_of({"variant": "image_pdf", "degradations": ["dpi100"]}) == "pdf"
    assert not gauge.is_damaged({"variant": "clean_scan", "degradations": ["stamp_over_value"]})
    assert gauge.is_damaged({"variant": "clean_scan", "degradations": ["motion_blur"]})


def _write_batch(root: Path, truth: dict, results: dict) -> None:
    (root / "out").mkdir(parents=True)
    (root / "truth.json").write_text(json.dumps(truth))
    for did, r in results.items():
        (root / "out" / did).mkdir()
        (root / "out" / did / "result.json").write_text(json.dumps({"dossier_id": did, **r}))


def test_report_json_and_diff(tmp_path: Path, batch: tuple[dict, dict], capsys: pytest.CaptureFixture[str]) -> None:
    truth, results = batch
    _write_batch(tmp_path / "b", truth, results)
    assert evaluate.main(["--dir", str(tmp_path / "b"), "--reuse"]) == 1  # a false accept
    rep = json.loads((tmp_path / "b" / "report.json").read_text())
    assert rep["straight_through"]["rate"] == 0.5 and rep["misses"]
    results["C"]["status"] = "needs_review"
    _write_batch(tmp_path / "c", truth, results)
    assert evaluate.main(["--dir", str(tmp_path / "c"), "--reuse"]) == 0
    capsys.readouterr()
    assert evaluate.main(["--diff", str(tmp_path / "b" / "report.json"), str(tmp_path / "c" / "report.json")]) == 0
    out = capsys.readouterr().out
    assert "false accepts" in out and "-1.000" in out


def test_held_out_batch_keeps_its_misses_to_itself(tmp_path: Path, batch: tuple[dict, dict]) -> None:
    truth, results = batch
    truth["seed"] = evaluate.HELD_OUT["field"]
    _write_batch(tmp_path, truth, results)
    assert evaluate.main(["--dir", str(tmp_path), "--reuse", "--misses"]) == 2
    evaluate.main(["--dir", str(tmp_path), "--reuse"])
    rep = json.loads((tmp_path / "report.json").read_text())
    assert isinstance(rep["misses"], str) and rep["straight_through"]["rate"] == 0.5

"""Layout families and extra degradations of the sample generator (`--layouts`)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pdfplumber
import pytest
from PIL import Image

from config.rules import load_rules
from scripts.generate_samples import main
from scripts.samplegen import damage, ijazah_alt, ktp_alt, sehat_alt
from scripts.samplegen.families import DEGRADATIONS, FAMILIES, OLD_FAMILIES, parse
from scripts.samplegen.files import _image_file
from scripts.samplegen.generate import generate
from scripts.samplegen.ktp import ktp_page
from scripts.samplegen.pdf import text_pdf
from scripts.samplegen.people import make_person
from scripts.samplegen.render import Shot

NEW = [f for fams in FAMILIES.values() for f in fams if not f.endswith("/classic")]


def _truth(out: Path) -> dict:
    return json.loads((out / "truth.json").read_text(encoding="utf-8"))


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_parse_modes_names_and_unknown() -> None:
    old = parse("old")
    assert old.old_only and old.degrade_share == 0
    new = parse(["new"])
    assert all(OLD_FAMILIES[t] not in f for t, f in new.families.items())
    assert set(new.degradations) == set(DEGRADATIONS)
    one = parse("ktp/wide,crease")
    assert one.families["ktp"] == ("ktp/wide",) and one.families["ijazah"] == ("ijazah/classic",)
    assert one.degradations == ("crease",)
    with pytest.raises(ValueError, match="unknown layout"):
        parse("ktp/fancy")


def test_old_mode_uses_classic_families_without_damage(tmp_path: Path) -> None:
    generate(tmp_path, count=3, seed=4, variants=["clean_scan", "text_pdf"], layouts="old")
    for d in _truth(tmp_path)["dossiers"].values():
        assert d["scenario"] != "issuer_unknown"
        for page in d["pages"]:
            assert "degradations" not in page
            if page["type"] != "unknown":
                assert page["layout"].endswith("/classic")


def test_new_mode_is_reproducible_and_uses_only_new_families(tmp_path: Path) -> None:
    kwargs = {"count": 2, "scenarios": ["complete", "issuer_unknown"], "layouts": "new",
              "variants": ["phone_photo", "flatbed_scan", "text_pdf"]}
    generate(tmp_path / "a", seed=9, **kwargs)
    generate(tmp_path / "b", seed=9, **kwargs)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    accepted = [kw.upper() for kw in load_rules().health.accepted_issuers]
    for d in _truth(tmp_path / "a")["dossiers"].values():
        for page in d["pages"]:
            if page["type"] == "unknown":
                continue
            assert page["layout"] in NEW
            if page["type"] == "surat_sehat" and d["scenario"] == "issuer_unknown":
                words = page["fields"]["penerbit"].split()
                assert not any(kw in words for kw in accepted)  # a private practice, not a listed issuer


@pytest.mark.parametrize("family", ["ktp/compact", "ktp/wide"])
def test_new_ktp_families_print_every_truth_field(family: str) -> None:
    rng = np.random.default_rng(21)
    person = make_person(rng)
    _, classic = ktp_page(np.random.default_rng(1), person)
    page, fields = ktp_alt.ktp_page(rng, person, family)
    assert set(fields) == set(classic)
    texts = " ".join(op.text for op in page.ops if hasattr(op, "text"))
    for key in ("nik", "nama", "alamat", "kecamatan", "pekerjaan"):
        assert fields[key] in texts


@pytest.mark.parametrize(("family", "jenjang"), [("ijazah/landscape", "SMA"), ("ijazah/landscape", "S1"),
                                                 ("ijazah/two_column", "SMK"), ("ijazah/madrasah", "MA")])
def test_new_ijazah_families_carry_their_fields_as_text(tmp_path: Path, family: str, jenjang: str) -> None:
    rng = np.random.default_rng(5)
    page, fields, _ = ijazah_alt.ijazah_page(rng, make_person(rng, min_age=30, max_age=40), jenjang, family)
    assert fields["jenjang"] == jenjang
    path = tmp_path / "ijazah.pdf"
    path.write_bytes(text_pdf([page]))
    with pdfplumber.open(path) as pdf:
        text = pdf.pages[0].extract_text()
    assert fields["nama"] in text
    assert fields["nomor_ijazah"].upper() in text.upper()


@pytest.mark.parametrize("family", ["sehat/table", "sehat/sentence"])
@pytest.mark.parametrize("healthy", [True, False])
def test_new_sehat_families_follow_the_scenario_switches(family: str, healthy: bool) -> None:
    rng = np.random.default_rng(7)
    page, fields, _ = sehat_alt.sehat_page(rng, make_person(rng), family, healthy=healthy, vitals=False)
    texts = " ".join(op.text for op in page.ops if hasattr(op, "text"))
    assert fields["kesimpulan"] == ("SEHAT" if healthy else "TIDAK SEHAT")
    assert fields["tekanan_darah"] in texts
    assert "Kolesterol" not in texts and "kolesterol" not in texts


@pytest.mark.parametrize("wanted", [["motion_blur"], ["vignette", "crease"], ["dpi100"], ["bw_photocopy"]])
def test_scan_degradations_keep_size_or_lower_dpi(wanted: list[str]) -> None:
    rng = np.random.default_rng(2)
    page, _, _ = sehat_alt.sehat_page(rng, make_person(rng), "sehat/table")
    shot = damage.shoot_damaged(rng, page, "clean_scan", wanted)
    if "dpi100" in wanted:
        assert shot.dpi == 100 and shot.image.width == round(210 * 100 / 25.4)
    else:
        assert shot.dpi >= 200
    if "bw_photocopy" in wanted:
        assert set(np.unique(np.asarray(shot.image)).tolist()) <= {0, 150, 255}


def test_phone_degradations_and_low_jpeg_quality() -> None:
    rng = np.random.default_rng(3)
    page, _ = ktp_alt.ktp_page(rng, make_person(rng), "ktp/wide")
    shot = damage.shoot_damaged(rng, page, "phone_photo", ["dark_desk", "tilt_5_15", "finger"])
    assert max(shot.image.size) == 2000
    small = Shot(shot.image.resize((400, 300)), 0.0)
    _, low = _image_file(np.random.default_rng(1), small, "phone_photo", set(), quality=35)
    _, high = _image_file(np.random.default_rng(1), small, "phone_photo", set(), quality=95)
    assert len(low) < len(high)
    with Image.open(io.BytesIO(low)) as im:
        im.load()


def test_cli_layouts_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--out", str(tmp_path / "a"), "--count", "1", "--seed", "2", "--scenarios", "missing_ktp",
            "--variants", "clean_scan", "--layouts", "ijazah/two_column,sehat/sentence"]
    assert main(args) == 0
    truth = _truth(tmp_path / "a")
    assert truth["layouts"] == "ijazah/two_column,sehat/sentence"
    layouts = {p["layout"] for d in truth["dossiers"].values() for p in d["pages"] if p["type"] != "unknown"}
    assert layouts == {"ijazah/two_column", "sehat/sentence"}
    assert main(["--out", str(tmp_path / "b"), "--layouts", "fancy"]) == 2
    assert "unknown layout" in capsys.readouterr().err


def test_gauge_counts_fields_per_layout_and_damage() -> None:
    from scripts.samplegen.gauge import tally

    truth = {"dossiers": {"D1": {"pages": [
        {"file": "a.jpg", "type": "ktp", "layout": "ktp/wide", "degradations": ["motion_blur"],
         "fields": {"nama": "X", "nik": "1"}},
        {"file": "b.jpg", "type": "surat_sehat", "layout": "sehat/table", "degradations": ["stamp_over_value"],
         "fields": {"nama": "X"}},
        {"file": "c.jpg", "type": "unknown", "fields": {}}]}}}
    misses = [{"dossier": "D1", "file": "a.jpg", "field": "ktp.nama"}]
    t = tally(truth, misses)
    assert t["layout:ktp/wide"]["ktp.nama"] == [1, 1] and t["layout:ktp/wide"]["ktp.nik"] == [1, 0]
    assert t["damage:motion_blur"]["ktp.nama"] == [1, 1]
    assert t["damage:(no rendering)"]["surat_sehat.nama"] == [1, 0]  # the stamp is the layout's, not damage
    assert "layout:ktp/wide" not in tally(truth, misses, undamaged=True)

"""The sample generator: determinism, truth consistency, scenario coverage, decodable files, layout."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
from pathlib import Path

import numpy as np
import pdfplumber
import pypdfium2 as pdfium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from models.contract import FIELDS_BY_TYPE, DocType, Registration
from scripts.generate_samples import main
from scripts.samplegen.files import _image_file
from scripts.samplegen.generate import generate
from scripts.samplegen.ijazah import ijazah_page
from scripts.samplegen.ktp import ktp_page
from scripts.samplegen.layout import rasterize
from scripts.samplegen.pdf import text_pdf
from scripts.samplegen.people import VOTING_DAY, age_on, make_person
from scripts.samplegen.render import IMAGE_VARIANTS, Shot, shoot
from scripts.samplegen.scenarios import SCENARIOS, plan
from scripts.samplegen.surat_sehat import VALID_FROM, VALID_TO

ALL = list(SCENARIOS)
JENJANG = {"SD", "SMP", "SMA", "SMK", "MA", "PAKET_C", "D3", "D4", "S1", "S2", "S3"}


@pytest.fixture(scope="module")
def every_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GIVEN one dossier per scenario (two for duplicate_nik), cheap renderings only."""
    out = tmp_path_factory.mktemp("samples")
    generate(out, count=len(ALL) + 1, seed=11, scenarios=ALL, variants=["clean_scan", "text_pdf"])
    return out


def _truth(out: Path) -> dict:
    return json.loads((out / "truth.json").read_text(encoding="utf-8"))


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _decode(path: Path, page: int) -> None:
    """Raise unless the file decodes (PDF page rendered, image fully loaded)."""
    if path.suffix == ".pdf":
        doc = pdfium.PdfDocument(str(path))
        assert len(doc) >= page
        doc[page - 1].render(scale=0.2)
        doc.close()
    else:
        with Image.open(path) as im:
            im.load()


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    kwargs = {"count": 1, "scenarios": ["complete"], "variants": ["phone_photo", "flatbed_scan", "image_pdf", "text_pdf"]}
    generate(tmp_path / "a", seed=5, **kwargs)
    generate(tmp_path / "b", seed=5, **kwargs)
    generate(tmp_path / "c", seed=6, **kwargs)
    a, b, c = (_digest(tmp_path / n) for n in "abc")
    assert a == b
    assert a != c


def test_every_scenario_is_generated_with_its_expectations(every_scenario: Path) -> None:
    truth = _truth(every_scenario)
    dossiers = truth["dossiers"]
    assert {d["scenario"] for d in dossiers.values()} == set(ALL)
    for d in dossiers.values():
        sc = SCENARIOS[d["scenario"]]
        assert d["expected_status"] == sc.expected_status
        assert d["expected_reasons"] == list(sc.expected_reasons)
        assert d["expected_missing"] == list(sc.expected_missing)
        present = {p["type"] for p in d["pages"]} - {"unknown"}  # pas foto, surat pernyataan
        assert present == {"ktp", "ijazah", "surat_sehat"} - set(sc.expected_missing)
    assert sum(d["scenario"] == "duplicate_nik" for d in dossiers.values()) == 2


def test_layout_truth_beside_input_and_only_listed_files_inside(every_scenario: Path) -> None:
    truth = _truth(every_scenario)
    assert not list((every_scenario / "input").rglob("truth.json"))
    assert sorted(p.name for p in (every_scenario / "input").iterdir()) == sorted(truth["dossiers"])
    for did, d in truth["dossiers"].items():
        folder = every_scenario / "input" / did
        assert all(p.is_file() for p in folder.iterdir())
        listed = {p["file"] for p in d["pages"]} | {b["file"] for b in d["bad_files"]} | {"registration.json"}
        assert {p.name for p in folder.iterdir()} == listed


def test_files_decode_except_the_intended_bad_ones(every_scenario: Path) -> None:
    truth = _truth(every_scenario)
    n_bad = 0
    for did, d in truth["dossiers"].items():
        folder = every_scenario / "input" / did
        for page in d["pages"]:
            _decode(folder / page["file"], page["page"])
        for bad in d["bad_files"]:
            n_bad += 1
            with pytest.raises(Exception):  # noqa: B017 - any decoder error is the point
                _decode(folder / bad["file"], 1)
    assert n_bad == 2  # bad_ktp_file and bad_extra_file


def test_truth_fields_use_contract_names_and_canonical_values(every_scenario: Path) -> None:
    for d in _truth(every_scenario)["dossiers"].values():
        for page in d["pages"]:
            fields = page["fields"]
            assert set(fields) <= set(FIELDS_BY_TYPE[DocType(page["type"])])
            for key in ("nama", "tempat_lahir", "penerbit", "nama_sekolah"):
                if key in fields:
                    assert fields[key] == fields[key].upper()
            for key in ("tanggal_lahir", "tanggal_surat"):
                if key in fields:
                    date.fromisoformat(fields[key])
            if page["type"] == "ktp":
                assert fields["jenis_kelamin"] in {"LAKI-LAKI", "PEREMPUAN"}
                assert fields["golongan_darah"] in {"A", "B", "AB", "O", "-"}
                assert len(fields["rt_rw"]) == 7 and fields["rt_rw"][3] == "/"
            if page["type"] == "ijazah":
                assert fields["jenjang"] in JENJANG
            if page["type"] == "surat_sehat":
                assert fields["kesimpulan"] in {"SEHAT", "TIDAK SEHAT"}


def test_ktp_nik_encodes_printed_birth_date_and_sex(every_scenario: Path) -> None:
    for d in _truth(every_scenario)["dossiers"].values():
        for page in d["pages"]:
            if page["type"] != "ktp":
                continue
            f = page["fields"]
            born = date.fromisoformat(f["tanggal_lahir"])
            day = int(f["nik"][6:8])
            assert (day > 40) == (f["jenis_kelamin"] == "PEREMPUAN")
            assert date(born.year, int(f["nik"][8:10]), day % 40) == born
            assert f["nik"][10:12] == f"{born.year % 100:02d}"


def test_scenario_facts_match_the_documents(every_scenario: Path) -> None:
    truth = _truth(every_scenario)
    for did, d in truth["dossiers"].items():
        pages = {p["type"]: p["fields"] for p in d["pages"] if p["type"] != "unknown"}
        raw = (every_scenario / "input" / did / "registration.json").read_bytes()
        if d["scenario"] == "registration_invalid":
            with pytest.raises(ValueError):  # pydantic ValidationError and JSONDecodeError are ValueErrors
                Registration.model_validate_json(raw)
            continue
        reg = Registration.model_validate_json(raw)
        assert reg.dossier_id == did
        ktp = pages.get("ktp")
        sehat = pages.get("surat_sehat")
        if ktp is None:
            continue
        born = date.fromisoformat(ktp["tanggal_lahir"])
        assert (reg.nik != ktp["nik"]) == (d["scenario"] == "nik_mismatch")
        assert (reg.tanggal_lahir != born) == (d["scenario"] == "dob_mismatch")
        assert (reg.wilayah.desa_kelurahan != ktp["kel_desa"]) == (d["scenario"] == "out_of_area")
        assert (age_on(born, VOTING_DAY) < 17) == (d["scenario"] == "under_age")
        assert (age_on(born, VOTING_DAY) > 55) == (d["scenario"] == "over_55")
        ijazah = pages.get("ijazah")
        if ijazah:
            assert (ijazah["jenjang"] in {"SD", "SMP"}) == (d["scenario"] == "low_education")
            assert (ijazah["tanggal_lahir"] != ktp["tanggal_lahir"]) == (d["scenario"] == "other_person_ijazah")
        if sehat:
            assert (sehat["kesimpulan"] == "TIDAK SEHAT") == (d["scenario"] == "not_healthy")
            fresh = VALID_FROM <= date.fromisoformat(sehat["tanggal_surat"]) <= VALID_TO
            assert fresh == (d["scenario"] != "stale_health")


def test_duplicate_pair_shares_nik_with_different_tps(every_scenario: Path) -> None:
    truth = _truth(every_scenario)
    pair = [did for did, d in truth["dossiers"].items() if d["scenario"] == "duplicate_nik"]
    regs = [json.loads((every_scenario / "input" / did / "registration.json").read_text()) for did in pair]
    assert regs[0]["nik"] == regs[1]["nik"]
    assert regs[0]["wilayah"]["tps"] != regs[1]["wilayah"]["tps"]


def test_default_plan_mixes_complete_with_every_other_scenario() -> None:
    slots = plan(60, np.random.default_rng(1))
    assert sum(SCENARIOS[s].dossiers for s in slots) == 60
    assert set(slots) == set(ALL)
    assert 0.3 <= slots.count("complete") / 60 <= 0.5


def test_forced_plan_cycles_and_rejects_unknown_names() -> None:
    assert plan(3, np.random.default_rng(0), ["under_age", "over_55"]) == ["under_age", "over_55", "under_age"]
    assert plan(1, np.random.default_rng(0), ["duplicate_nik"]) == ["complete"]  # a pair does not fit in one
    with pytest.raises(ValueError):
        plan(2, np.random.default_rng(0), ["no_such_scenario"])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), lo=st.integers(16, 56))
def test_people_ages_and_nik(seed: int, lo: int) -> None:
    p = make_person(np.random.default_rng(seed), min_age=lo, max_age=lo + 4)
    assert lo <= p.age_on() <= lo + 4
    assert len(p.nik) == 16 and p.nik.isdigit()
    assert p.nik[:6] == p.nik_desa.kecamatan_kode6
    assert int(p.nik[6:8]) - (40 if p.female else 0) == p.tanggal_lahir.day


@pytest.mark.parametrize("variant", [*IMAGE_VARIANTS, "image_pdf"])
def test_each_image_variant_renders_a_card(variant: str) -> None:
    rng = np.random.default_rng(3)
    page, _ = ktp_page(rng, make_person(rng))
    shot = shoot(rng, page, variant)
    w, h = shot.image.size
    assert min(w, h) >= 300
    if variant == "phone_photo":
        assert max(w, h) == 2000
    if variant == "rotated_scan":
        assert shot.rotation in (90, 180, 270)


def test_phone_photos_with_exif_orientation_turn_upright() -> None:
    """GIVEN phone photos stored in sensor orientation WHEN a viewer applies EXIF THEN the document is upright."""
    seen: set[int] = set()
    for seed in range(300):
        upright = Image.new("RGB", (300, 200), (255, 255, 255))
        upright.paste((255, 0, 0), (0, 0, 60, 40))  # marker in the top-left corner
        shot = Shot(upright, 0.0)
        _, data = _image_file(np.random.default_rng(seed), shot, "phone_photo", set())
        with Image.open(io.BytesIO(data)) as im:
            assert im.getexif().get(0x0112, 1) == shot.exif_orientation
            turned = ImageOps.exif_transpose(im)
        assert turned.size == (300, 200)
        r, g, b = turned.getpixel((20, 15))
        assert r > 200 and g < 80 and b < 80
        if shot.exif_orientation != 1:
            seen.add(shot.rotation)
    assert seen == {90, 180, 270}


def test_text_pdf_carries_the_printed_text(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    person = make_person(rng)
    page, fields = ijazah_page(rng, person, "SMA")
    path = tmp_path / "ijazah.pdf"
    path.write_bytes(text_pdf([page]))
    with pdfplumber.open(path) as pdf:
        text = pdf.pages[0].extract_text()
    assert fields["nama"] in text
    assert "IJAZAH" in text
    assert rasterize(page, 50).size == (413, 585)


def test_cli_writes_samples_and_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--out", str(tmp_path), "--count", "1", "--seed", "1", "--scenarios", "missing_ijazah",
            "--variants", "clean_scan"]
    assert main(args) == 0
    assert (tmp_path / "truth.json").is_file()
    assert main(args) == 2  # input/ is not empty any more
    assert main(["--out", str(tmp_path / "x"), "--scenarios", "nope"]) == 2
    assert main(["--out", str(tmp_path / "y"), "--variants", "fax"]) == 2
    assert "unknown" in capsys.readouterr().err

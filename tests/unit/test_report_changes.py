"""Nightly report (issue 14): the KPU's TPS list with its provenance, zero-applicant TPS first, and the list
of TPS and dossiers that changed since the previous night."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pdfplumber
import pytest

from config.settings import CONFIG_DIR
from pipeline.errors import ConfigError
from pipeline.reports import build_report, record_review, summary_from_result, write_summary
from pipeline.reports.areas import default_regions
from pipeline.reports.snapshot import snapshot_key
from pipeline.reports.tps import NO_LIST_NOTE, load_tps_list
from tests.unit.test_reports import NOW, TPS_LIST, A, B, C, MemoryStore, _area, _csv, _load, _result

NIK_SHAPED = "3575021234560001"


def _write_list(path: Path, pairs: dict[str, list[str]], meta: str | None = None) -> Path:
    lines = ["kode_desa,tps,jumlah_pemilih"] + [f"{d},{t},250" for d, ts in pairs.items() for t in ts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if meta is not None:
        path.with_name(path.stem + ".meta.yaml").write_text(meta, encoding="utf-8")
    return path


@pytest.fixture
def kpu_list(tmp_path) -> Path:
    return _write_list(tmp_path / "tps_kpu.csv", TPS_LIST,
                       "sumber: KPU Kota Pasuruan (contoh uji)\ntanggal: 2023-11-30\n")


def _html(store: MemoryStore, key: str) -> str:
    return store.get_bytes(key).decode("utf-8")


def _pdf_text(store: MemoryStore, key: str) -> str:
    with pdfplumber.open(io.BytesIO(store.get_bytes(key))) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


# ---- the TPS list --------------------------------------------------------------------------------------


def test_zero_applicant_tps_come_first_and_are_counted(kpu_list):
    """GIVEN a list where A/003 has no applicant and C/001 has three (shortage 5 < 7)
    WHEN the report is built THEN A/003 leads the short list and is counted as a TPS without applicant."""
    store = MemoryStore()
    _load(store)
    # C/002: one applicant who fills no seat, so it lacks 7 like A/003, but it has an applicant
    extra = {**TPS_LIST, C: ["001", "002"]}
    _write_list(kpu_list, extra)
    write_summary(store, summary_from_result(_result("not-eligible", "under_age", "2023-12-12T08:00:00+00:00"),
                                             _area(C, "002")))
    paths = build_report(store, date="2023-12-13", tps_csv=kpu_list, now=NOW)
    short = _csv(store, paths.tps_shortage_csv)
    order = [(r["kode_desa"], r["tps"], r["diterima"], r["kekurangan"]) for r in short]
    # A/003 (no applicant) before C/002 (one applicant, none filling a seat), though both lack 7
    assert order[:2] == [(A, "003", "0", "7"), (C, "002", "1", "7")]
    prov = next(r for r in _csv(store, paths.csv["provinsi"]) if r["kode"] == "35")
    assert prov["tps_tanpa_pendaftar"] == "1" and prov["jumlah_tps"] == str(sum(len(v) for v in extra.values()))
    html = _html(store, paths.html)
    assert '<td class="t">TPS tanpa pendaftar sama sekali</td><td>1</td>' in html
    assert '<td class="t">Jumlah TPS (menurut daftar TPS)</td>' in html


def test_report_names_the_tps_list_its_source_and_date(kpu_list):
    store = MemoryStore()
    _load(store)
    paths = build_report(store, date="2023-12-13", tps_csv=kpu_list, now=NOW)
    for text in (_html(store, paths.html), _pdf_text(store, paths.pdf)):
        assert "Daftar TPS: tps_kpu.csv (KPU Kota Pasuruan (contoh uji); per 2023-11-30;" in text
        assert f"{sum(len(v) for v in TPS_LIST.values())} TPS di {len(TPS_LIST)} desa/kelurahan" in text


def test_source_and_date_given_by_the_caller_override_the_meta_file(kpu_list):
    tps = load_tps_list(kpu_list, source="Sidalih, unduhan PPK", date="2023-12-01")
    assert (tps.source, tps.date) == ("Sidalih, unduhan PPK", "2023-12-01")
    with pytest.raises(ConfigError, match="bukan YYYY-MM-DD"):
        load_tps_list(kpu_list, date="1 Desember")


def test_list_without_meta_says_source_and_date_were_not_given(tmp_path):
    tps = load_tps_list(_write_list(tmp_path / "tps.csv", TPS_LIST))
    assert "sumber tidak dinyatakan; tanggal tidak dinyatakan" in tps.describe()


def test_without_a_list_the_report_says_empty_tps_cannot_be_shown():
    store = MemoryStore()
    _load(store)
    paths = build_report(store, date="2023-12-13", tps_csv=None, now=NOW)
    html = _html(store, paths.html)
    assert NO_LIST_NOTE in html
    assert "Jumlah TPS yang punya pendaftar (tanpa daftar TPS)" in html
    assert "tidak diketahui: daftar TPS tidak diberikan" in html
    assert "sama sekali tidak dapat ditampilkan" in _pdf_text(store, paths.pdf).replace("\n", " ")


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["kode_desa,tps", f"{A},1", f"{A},001"], "sudah tercantum di baris 2"),
        (["kode_desa,tps", f"{A},satu"], "bukan angka"),
        (["kode_desa,nomor", f"{A},1"], "kolom wajib"),
        (["kode_desa,tps"], "tidak memuat satu TPS pun"),
        (["kode_desa,tps", "35.75.02,1"], "bukan kode desa"),
    ],
)
def test_a_bad_list_stops_the_report_with_its_line(tmp_path, lines, message):
    path = tmp_path / "tps.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError, match=message) as info:
        load_tps_list(path)
    assert info.value.code == "TPS_LIST_INVALID"


def test_a_desa_code_missing_from_the_region_table_is_refused(tmp_path):
    path = _write_list(tmp_path / "tps.csv", {**TPS_LIST, "35.75.02.9999": ["001"]})
    with pytest.raises(ConfigError, match=r"1 kode desa tidak ada di tabel wilayah: 35\.75\.02\.9999"):
        build_report(MemoryStore(), date="2023-12-13", tps_csv=path, now=NOW)


def test_the_demo_list_matches_its_generator():
    """config/tps/demo_kota_pasuruan.csv is what config/tps/generate_demo.py writes (documented command)."""
    from config.tps.generate_demo import generate, write_csv

    out = io.StringIO()
    write_csv(generate("35.75"), out)
    shipped = CONFIG_DIR / "tps" / "demo_kota_pasuruan.csv"
    assert shipped.read_text(encoding="utf-8") == out.getvalue()
    assert load_tps_list(shipped).source  # its .meta.yaml says it is made up


# ---- changes since the previous night ------------------------------------------------------------------


@pytest.fixture
def two_nights(kpu_list):
    """Night 1: the plan. Day 2: one new dossier (NIK-shaped id), one fixed, one decided with an override,
    one rejected, one removed. Night 2 reads night 1's snapshot."""
    store = MemoryStore()
    ids = _load(store)
    build_report(store, date="2023-12-13", tps_csv=kpu_list, now=NOW)
    later = "2023-12-13T10:00:00+00:00"
    fixed = ids[7]  # first "vitals" dossier at A/001 -> complete
    write_summary(store, summary_from_result(_result(fixed, "complete", later), _area(A, "001")))
    write_summary(store, summary_from_result(_result(NIK_SHAPED, "complete", later), _area(C, "001")))
    record_review(store, _area(A, "001"), ids[8], "approved", at=later, override=True)  # second "vitals"
    record_review(store, _area(B, "001"), ids[22], "rejected", at=later)  # the over55_name one at B/001
    gone = ids[0]
    store.delete(f"summaries/35.75/35.75.02/{A}/{gone}.json")
    paths = build_report(store, date="2023-12-14", tps_csv=kpu_list, now=NOW)
    return store, paths, {"fixed": fixed, "override": ids[8], "rejected": ids[22], "gone": gone}


def test_changed_dossiers_are_listed_with_status_and_decision(two_nights):
    store, paths, ids = two_nights
    rows = {r["berkas"]: r for r in _csv(store, paths.changes_csv)}
    masked = "3575********0001"
    assert set(rows) == {ids["fixed"], ids["override"], ids["rejected"], ids["gone"], masked}
    assert (rows[masked]["perubahan"], rows[masked]["status_sekarang"]) == ("baru", "complete")
    assert (rows[ids["fixed"]]["perubahan"], rows[ids["fixed"]]["status_sebelumnya"],
            rows[ids["fixed"]]["status_sekarang"]) == ("status_berubah", "needs_review", "complete")
    over = rows[ids["override"]]
    assert (over["perubahan"], over["keputusan_sebelumnya"], over["keputusan_sekarang"], over["pengesampingan"]) == (
        "diputuskan", "", "approved", "ya")
    assert rows[ids["rejected"]]["keputusan_sekarang"] == "rejected"
    assert rows[ids["gone"]]["perubahan"] == "tidak_ada_lagi" and rows[ids["gone"]]["kode_desa"] == A


def test_changes_in_html_and_pdf_name_dossiers_without_personal_data(two_nights):
    store, paths, ids = two_nights
    html = _html(store, paths.html)
    assert "Perubahan sejak laporan 2023-12-13" in html
    assert "Perlu diperiksa -&gt; Lengkap" in html
    assert "belum diputuskan -&gt; Disetujui (mengesampingkan pemeriksaan)" in html
    assert "3575********0001" in html and NIK_SHAPED not in html
    pdf = _pdf_text(store, paths.pdf)
    assert ids["gone"] in pdf and NIK_SHAPED not in pdf
    assert NIK_SHAPED not in store.get_bytes(paths.changes_csv).decode("utf-8-sig")


def test_changed_tps_show_seats_before_and_after(two_nights):
    store, paths, _ = two_nights
    tps = {(r["kode_desa"], r["tps"]): r for r in _csv(store, paths.csv["tps_berubah"])}
    # A/001: 7 complete + 2 vitals; one vitals fixed (+1), one approved (+1), one complete removed (-1)
    assert (tps[(A, "001")]["calon_memenuhi_sebelumnya"], tps[(A, "001")]["calon_memenuhi"]) == ("7", "8")
    assert tps[(A, "001")]["berkas_berubah"] == "3"
    assert (tps[(C, "001")]["calon_memenuhi_sebelumnya"], tps[(C, "001")]["calon_memenuhi"]) == ("2", "3")
    assert tps[(B, "001")]["berkas_berubah"] == "1"  # the rejection; the seat count is unchanged
    assert set(tps) == {(A, "001"), (B, "001"), (C, "001")}


def test_first_night_lists_no_changes_and_says_why(kpu_list):
    store = MemoryStore()
    _load(store)
    paths = build_report(store, date="2023-12-13", tps_csv=kpu_list, now=NOW)
    assert paths.changes_csv == "" and "tps_berubah" not in paths.csv
    assert "Belum ada laporan sebelumnya untuk wilayah ini" in _html(store, paths.html)


def test_a_five_column_snapshot_of_an_earlier_version_still_counts(kpu_list):
    """Snapshots written before the TPS column: their dossiers are taken to be at tonight's TPS."""
    store = MemoryStore()
    ids = _load(store)
    build_report(store, date="2023-12-13", tps_csv=kpu_list, now=NOW)
    key = snapshot_key("2023-12-13", "35.75")
    lines = gzip.decompress(store.get_bytes(key)).decode().splitlines()
    old = ["\t".join(line.split("\t")[:1] + line.split("\t")[2:]) for line in lines]
    store.put_bytes(key, gzip.compress(("\n".join(old) + "\n").encode()))
    write_summary(store, summary_from_result(_result(ids[7], "complete", "2023-12-13T10:00:00+00:00"),
                                             _area(A, "001")))
    paths = build_report(store, date="2023-12-14", tps_csv=kpu_list, now=NOW)
    rows = _csv(store, paths.changes_csv)
    assert [(r["berkas"], r["perubahan"]) for r in rows] == [(ids[7], "status_berubah")]


# ---- the command line ----------------------------------------------------------------------------------


def test_berkas_report_command_takes_the_list_and_its_provenance(tmp_path, monkeypatch):
    """GIVEN a local store with the plan's rows WHEN `berkas report` runs twice with a TPS list and its source
    THEN the second run names its changes file; a bad list stops it with exit code 2 and the reason."""
    from typer.testing import CliRunner

    from berkas.cli import app
    from config.settings import get_settings
    from pipeline.storage import LocalStore

    monkeypatch.setenv("BERKAS_STORE", "local")
    monkeypatch.setenv("BERKAS_STORE_PATH", str(tmp_path / "store"))
    get_settings.cache_clear()
    store = LocalStore(tmp_path / "store", fsync=False)
    _load(store)
    tps = _write_list(tmp_path / "tps.csv", TPS_LIST)
    runner = CliRunner()
    args = ["report", "--area", "35.75", "--tps-csv", str(tps), "--tps-source", "KPU uji", "--tps-date", "2023-12-01"]
    try:
        first = runner.invoke(app, [*args, "--date", "2023-12-13"])
        second = runner.invoke(app, [*args, "--date", "2023-12-14"])
        (tmp_path / "bad.csv").write_text("kode_desa,tps\n35.75.02.1005,x\n")
        bad = runner.invoke(app, ["report", "--date", "2023-12-14", "--tps-csv", str(tmp_path / "bad.csv")])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0 and "reports/2023-12-14/35.75/perubahan_berkas.csv" in second.output
    html = store.get_bytes("reports/2023-12-14/35.75/laporan.html").decode()
    assert "Daftar TPS: tps.csv (KPU uji; per 2023-12-01;" in html
    assert bad.exit_code == 2 and "TPS_LIST_INVALID" in bad.output and "baris 2" in bad.output


def test_after_an_area_report_other_kabupaten_are_not_listed_as_new(kpu_list):
    """GIVEN last night's report covered Kota Pasuruan only WHEN tonight's covers the province THEN the
    dossiers of Kab. Malang (no snapshot: not reported, not necessarily absent) are not listed as new, and
    the report says so; Kota Pasuruan is compared as usual."""
    store = MemoryStore()
    ids = _load(store)
    build_report(store, date="2023-12-13", area="35.75", tps_csv=kpu_list, now=NOW)
    write_summary(store, summary_from_result(_result(ids[7], "complete", "2023-12-13T10:00:00+00:00"),
                                             _area(A, "001")))
    paths = build_report(store, date="2023-12-14", tps_csv=kpu_list, now=NOW)
    assert [r["berkas"] for r in _csv(store, paths.changes_csv)] == [ids[7]]
    assert paths.not_compared == ["35.07", "unknown"]
    malang = default_regions().name("35.07")
    assert f"untuk {malang}, (wilayah tidak dikenal): berkasnya tidak dibandingkan." in _html(
        store, paths.html)

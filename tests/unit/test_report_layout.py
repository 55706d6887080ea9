"""Nightly report (issue 14): what the official reads: kabupaten column at province level, charts sorted with
whole-number ticks and legends off the bars, PDF tables that read across pages, reading problems apart,
overrides counted apart, the requirements version in the header, reason groups as data."""

from __future__ import annotations

import io
from collections import Counter

import pdfplumber
import pytest
import yaml

from config.settings import CONFIG_DIR
from pipeline.reports import build_report, record_review, summary_from_result, write_summary
from pipeline.reports.aggregate import AreaReport, Counts, Staffing
from pipeline.reports.areas import default_regions
from pipeline.reports.charts import reasons_figure, staffing_figure, status_figure
from pipeline.reports.labels import READING, load_reason_table, reason_table
from tests.unit.test_reports import NOW, TPS_LIST, A, B, MemoryStore, _area, _csv, _load

DEMO_TPS = CONFIG_DIR / "tps" / "demo_kota_pasuruan.csv"


def _html(store, key) -> str:
    return store.get_bytes(key).decode("utf-8")


def _section(html: str, title: str) -> str:
    """The HTML from heading `title` to the next h2."""
    start = html.index(f"<h2>{title}")
    end = html.find("<h2>", start + 4)
    return html[start:end if end > 0 else None]


@pytest.fixture(scope="module")
def pasuruan():
    """The plan's dossiers counted against the 509 demo TPS of Kota Pasuruan: a long short-TPS table."""
    store = MemoryStore()
    _load(store)
    paths = build_report(store, date="2023-12-13", area="35.75", tps_csv=DEMO_TPS, now=NOW)
    return store, paths


# ---- area names ---------------------------------------------------------------------------------------


def test_province_short_tps_table_names_the_kabupaten(tmp_path):
    store = MemoryStore()
    _load(store)
    tps = tmp_path / "tps.csv"
    tps.write_text("kode_desa,tps\n" + "".join(f"{d},{t}\n" for d, ts in TPS_LIST.items() for t in ts))
    paths = build_report(store, date="2023-12-13", tps_csv=tps, now=NOW)
    short = _section(_html(store, paths.html), "TPS kurang calon KPPS")
    assert '<th class="t">Kabupaten/Kota</th><th class="t">Kecamatan</th><th class="t">Desa/Kelurahan</th>' in short
    assert '<td class="t">KOTA PASURUAN</td><td class="t">Purworejo</td><td class="t">Kebonagung</td>' in short
    assert f'<td class="t">{default_regions().name("35.07")}</td>' in short  # D/001 (Kab. Malang) lacks one


def test_kabupaten_report_needs_no_kabupaten_column(pasuruan):
    store, paths = pasuruan
    short = _section(_html(store, paths.html), "TPS kurang calon KPPS")
    assert "Kabupaten/Kota</th>" not in short and '<th class="t">Kecamatan</th>' in short


def test_desa_csv_names_kecamatan_and_kabupaten(pasuruan):
    store, paths = pasuruan
    row = next(r for r in _csv(store, paths.csv["desa"]) if r["kode"] == A)
    assert (row["nama"], row["nama_kecamatan"], row["nama_kabupaten"]) == ("Kebonagung", "Purworejo", "KOTA PASURUAN")


# ---- charts -------------------------------------------------------------------------------------------


def _area_report(name: str, complete: int, review: int, tps_full: int, tps_short: int) -> tuple[str, AreaReport]:
    counts = Counts(received=complete + review, complete=complete, needs_review=review)
    return name, AreaReport(name, counts, Staffing(tps=tps_full + tps_short, tps_full=tps_full, tps_short=tps_short))


AREAS = [_area_report("Alpha", 3, 0, 1, 2), _area_report("Beta", 9, 2, 2, 0), _area_report("Gamma", 5, 1, 0, 5)]


def _bars_top_down(ax) -> list[tuple[str, float]]:
    """(label, total bar length) from the top of the chart down."""
    totals: Counter = Counter()
    for patch in ax.patches:
        totals[round(patch.get_y(), 3)] += patch.get_width()
    labels = {round(t.get_position()[1], 3): t.get_text() for t in ax.get_yticklabels()}
    positions = sorted(totals, key=lambda y: -y)
    return [(labels[round(y + ax.patches[0].get_height() / 2, 3)], totals[y]) for y in positions]


@pytest.mark.parametrize(("figure", "expected"), [
    (lambda: status_figure(AREAS, "Kecamatan"), ["Beta", "Gamma", "Alpha"]),  # by dossiers received
    (lambda: staffing_figure(AREAS, "Kecamatan"), ["Gamma", "Alpha", "Beta"]),  # by TPS short of candidates
])
def test_charts_are_sorted_by_value_with_whole_ticks_and_a_legend_off_the_bars(figure, expected):
    fig = figure()
    ax = fig.axes[0]
    fig.canvas.draw()
    assert [label for label, _ in _bars_top_down(ax)] == expected
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
    renderer = fig.canvas.get_renderer()
    legend = fig.legends[0].get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))


def test_reasons_chart_shows_candidate_problems_only():
    counts = Counts(received=10, needs_review=6, incomplete=1)
    counts.review_reasons.update({"NAME_MISMATCH": 2, "LOW_CONFIDENCE": 5, "FIELD_UNREADABLE": 1, "OVER_55": 3})
    counts.missing.update({"ktp": 1})
    fig = reasons_figure(AreaReport("35", counts, Staffing()))
    fig.canvas.draw()
    labels = [label for label, _ in _bars_top_down(fig.axes[0])]
    assert labels == ["Periksa: Usia di atas 55 tahun", "Periksa: Nama tidak sama", "Kurang: KTP-el"]


# ---- PDF tables ---------------------------------------------------------------------------------------


def test_pdf_tables_repeat_their_header_keep_rows_whole_and_align_names_left(pasuruan):
    store, paths = pasuruan
    short = _csv(store, paths.tps_shortage_csv)[:100]
    with pdfplumber.open(io.BytesIO(store.get_bytes(paths.pdf))) as pdf:
        pages = [(page.extract_text() or "", page.extract_words()) for page in pdf.pages]
    holding = [i for i, (text, _) in enumerate(pages) if f"{short[50]['nama_desa']} {short[50]['tps']}" in text
               or f"{short[-1]['nama_desa']} {short[-1]['tps']}" in text]
    assert holding and max(holding) > 0  # the table runs onto a later page
    lines = [line for text, _ in pages for line in text.splitlines()]
    for row in short:  # every row whole on one line of one page: never cut between pages
        cells = f"{row['nama_kecamatan']} {row['nama_desa']} {row['tps']} {row['diterima']} " \
                f"{row['calon_memenuhi']} {row['kekurangan']}"
        assert cells in lines, cells
    for i in holding:  # a page holding table rows starts with the header row
        assert "Kecamatan Desa/Kelurahan TPS Pendaftar Memenuhi Kurang" in pages[i][0].splitlines()[:4]
        words = pages[i][1]
        names = [w for w in words if w["text"] in {r["nama_kecamatan"] for r in short}]
        assert len({round(w["x0"]) for w in names}) == 1  # names start at one left edge
        shortage = [w for w in words if w["text"] in {"5", "6", "7"} and w["x0"] > names[0]["x0"] + 150]
        assert len({round(w["x1"]) for w in shortage}) == 1  # figures end at one right edge


# ---- reading problems apart ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reading_report():
    """Three dossiers with reading problems (two with nothing else) and one with a candidate problem."""
    from models.contract import Check, CheckStatus, DossierResult, DossierStatus

    store = MemoryStore()
    rows = [("r1", ["LOW_CONFIDENCE"]), ("r2", ["LOW_CONFIDENCE", "NAME_MISMATCH"]), ("r3", ["FIELD_UNREADABLE"]),
            ("c1", ["VITALS_MISSING"])]
    for dossier_id, reasons in rows:
        checks = [Check(id=f"c{i}", status=CheckStatus.REVIEW, message="-", reason=r) for i, r in enumerate(reasons)]
        result = DossierResult(dossier_id=dossier_id, status=DossierStatus.NEEDS_REVIEW, checks=checks,
                               pipeline_version="test", processed_at="2023-12-12T08:00:00+00:00")
        write_summary(store, summary_from_result(result, _area(A, "001")))
    return store, build_report(store, date="2023-12-13", area="35.75", now=NOW)


def test_reading_problems_are_counted_apart(reading_report):
    store, paths = reading_report
    row = next(r for r in _csv(store, paths.csv["kabupaten"]) if r["kode"] == "35.75")
    assert (row["masalah_bacaan"], row["hanya_masalah_bacaan"]) == ("3", "2")
    assert (row["bacaan_LOW_CONFIDENCE"], row["bacaan_FIELD_UNREADABLE"], row["perlu_periksa_NAME_MISMATCH"]) == (
        "2", "1", "1")


def test_reading_problems_have_their_own_section(reading_report):
    store, paths = reading_report
    html = _html(store, paths.html)
    candidate = _section(html, "Masalah berkas calon")
    reading = _section(html, "Masalah pembacaan dokumen")
    assert "Tensi/gula/kolesterol tidak tercantum" in candidate and "Nama tidak sama" in candidate
    assert "Hasil baca kurang yakin" not in candidate and "Isian tidak terbaca" not in candidate
    assert '<td class="t">Hasil baca kurang yakin</td><td>2</td>' in reading
    assert '<td class="t">Isian tidak terbaca</td><td>1</td>' in reading
    assert "Petugas pemeriksa melihat halaman aslinya" in reading


def test_every_reason_code_has_a_report_section():
    """A reason the checks can give (config/messages.yaml, the rules file) must be grouped in
    config/report_reasons.yaml, or it would land in the candidate section by default."""
    from config.rules import CHECK_IDS, load_rules

    messages = yaml.safe_load((CONFIG_DIR / "messages.yaml").read_text(encoding="utf-8"))
    codes = {code for check in ("_any", *CHECK_IDS) for code in messages.get(check, {}) if code != "pass"}
    codes |= {rule.reason for rule in load_rules().checks.values()}
    table = reason_table()
    assert codes - set(table.reasons) == set()
    assert {c for c, info in table.reasons.items() if info.section == READING} == {
        "LOW_CONFIDENCE", "FIELD_UNREADABLE", "DOCUMENT_UNREADABLE", "FILE_UNREADABLE", "FILE_DAMAGED",
        "ORIGINAL_DAMAGED", "CONCLUSION_DOUBTFUL", "VITALS_UNREADABLE"}


def test_a_wrong_reason_table_is_refused_with_its_key(tmp_path):
    from pipeline.errors import ConfigError

    path = tmp_path / "reasons.yaml"
    data = yaml.safe_load((CONFIG_DIR / "report_reasons.yaml").read_text(encoding="utf-8"))
    data["reasons"]["LOW_CONFIDENCE"]["section"] = "pembaca"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="reasons.LOW_CONFIDENCE.section") as info:
        load_reason_table(path)
    assert info.value.code == "REPORT_REASONS_INVALID"


# ---- overrides and the header -------------------------------------------------------------------------


def test_approvals_over_failed_checks_are_counted_apart():
    store = MemoryStore()
    ids = _load(store)
    record_review(store, _area(A, "001"), ids[7], "approved", override=True)  # a "vitals" dossier
    record_review(store, _area(A, "001"), ids[8], "approved")
    with pytest.raises(ValueError, match="override applies to an approval"):
        record_review(store, _area(B, "001"), ids[22], "rejected", override=True)
    paths = build_report(store, date="2023-12-13", area="35.75", now=NOW)
    row = next(r for r in _csv(store, paths.csv["kabupaten"]) if r["kode"] == "35.75")
    assert (row["disetujui"], row["disetujui_mengesampingkan"]) == ("3", "1")  # plus the plan's review_approved
    assert ('<td class="t">Disetujui dengan mengesampingkan pemeriksaan gagal/perlu diperiksa (termasuk di atas)'
            '</td><td>1</td>') in _html(store, paths.html)


def test_header_names_the_requirements_version(pasuruan):
    from config.rules import load_rules

    store, paths = pasuruan
    assert load_rules().version == "kpps-2024"
    assert "Dihitung menurut persyaratan versi kpps-2024" in _html(store, paths.html)
    other = build_report(store, date="2023-12-13", area="35.75.02", rules_version="kpps-2024-rev2", now=NOW)
    assert "Dihitung menurut persyaratan versi kpps-2024-rev2" in _html(store, other.html)

"""Nightly reports (issue 7): counts against a planned batch, TPS shortage, CSV columns, HTML and PDF."""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime
from pathlib import Path

import pdfplumber
import pytest

from models.contract import Check, CheckStatus, DocType, DossierResult, DossierStatus
from pipeline.errors import ObjectNotFound, WriteConflict
from pipeline.reports import build_report, record_review, summary_from_result, write_summary
from pipeline.reports.render_csv import AREA_COLUMNS, TPS_COLUMNS
from pipeline.reports.summary import Review, SummaryRow
from pipeline.storage.keys import AreaCodes


class MemoryStore:
    """In-memory stand-in with the ObjectStore methods reports use."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.reads: dict[str, int] = {}

    def put_bytes(self, key, data, *, content_type="application/octet-stream", metadata=None):
        self.objects[key] = bytes(data)

    def get_bytes(self, key):
        if key not in self.objects:
            raise ObjectNotFound(key)
        self.reads[key] = self.reads.get(key, 0) + 1
        return self.objects[key]

    def put_json(self, key, obj, *, if_match=None, if_none_match=False):
        import hashlib
        import json

        current = hashlib.sha256(self.objects[key]).hexdigest() if key in self.objects else None
        if (if_none_match and current is not None) or (if_match is not None and current != if_match):
            raise WriteConflict(key)
        self.put_bytes(key, json.dumps(obj).encode())

    def get_json(self, key):
        import json

        return json.loads(self.get_bytes(key))

    def get_json_etag(self, key):
        import hashlib

        return self.get_json(key), hashlib.sha256(self.objects[key]).hexdigest()

    def list(self, prefix):
        return iter(sorted(k for k in self.objects if k.startswith(prefix)))

    def exists(self, key):
        return key in self.objects

    def delete(self, key):
        self.objects.pop(key, None)


# ---- the planned batch -------------------------------------------------------------------------------
# scenario -> (status, reasons, missing documents, review decision)
SCENARIOS = {
    "complete": ("complete", [], [], None),
    "missing_ktp": ("incomplete", ["KTP_MISSING"], ["ktp"], None),
    "missing_two": ("incomplete", ["IJAZAH_MISSING", "SURAT_SEHAT_MISSING"], ["ijazah", "surat_sehat"], None),
    "under_age": ("not_eligible", ["UNDER_AGE", "OVER_55"], [], None),
    "over55_name": ("needs_review", ["NAME_MISMATCH", "OVER_55"], [], None),
    "vitals": ("needs_review", ["VITALS_MISSING"], [], None),
    "complete_rejected": ("complete", [], [], "rejected"),
    "review_approved": ("needs_review", ["OUT_OF_AREA"], [], "approved"),
    "docs_requested": ("incomplete", ["SURAT_SEHAT_MISSING"], ["surat_sehat"], "documents_requested"),
}
A, B, C, D = "35.75.02.1005", "35.75.02.1001", "35.75.01.1001", "35.07.01.2001"
TPS_LIST = {A: ["001", "002", "003"], B: ["001", "002"], C: ["001"], D: ["001"]}
EARLY = "2023-12-11T00:00:00+00:00"
USUAL = "2023-12-12T08:00:00+00:00"
NOW = datetime(2023, 12, 14, tzinfo=UTC)
# (desa, tps, scenario, how many, received at)
PLAN = [
    (A, "001", "complete", 7, USUAL), (A, "001", "vitals", 2, USUAL),
    (A, "002", "complete", 3, USUAL), (A, "002", "review_approved", 1, USUAL),
    (A, "002", "complete_rejected", 1, USUAL), (A, "002", "missing_ktp", 2, USUAL),
    (B, "001", "complete", 5, USUAL), (B, "001", "under_age", 1, EARLY), (B, "001", "over55_name", 1, USUAL),
    (B, "002", "complete", 7, USUAL), (B, "002", "docs_requested", 1, USUAL),
    (B, "009", "complete", 1, USUAL),  # a TPS the list does not have
    (C, "001", "missing_two", 1, USUAL), (C, "001", "complete", 2, USUAL),
    (D, "001", "complete", 6, USUAL),
    (None, "004", "vitals", 1, USUAL),  # area not resolved by the pipeline
]


def _result(dossier_id: str, scenario: str, received: str) -> DossierResult:
    status, reasons, missing, _ = SCENARIOS[scenario]
    checks = [Check(id=f"c{i}", status=CheckStatus.REVIEW, message="-", reason=r) for i, r in enumerate(reasons)]
    checks.append(Check(id="nik_valid", status=CheckStatus.PASS, message="-"))
    return DossierResult(
        dossier_id=dossier_id, status=DossierStatus(status), missing_documents=[DocType(m) for m in missing],
        checks=checks, pipeline_version="test", processed_at=received,
    )


def _area(desa: str | None, tps: str) -> AreaCodes:
    if desa is None:
        return AreaCodes(None, None, None, tps)
    parts = desa.split(".")
    return AreaCodes(".".join(parts[:2]), ".".join(parts[:3]), desa, tps)


def _load(store: MemoryStore, plan=PLAN, prefix: str = "d") -> list[str]:
    ids = []
    for n, (desa, tps, scenario, count, received) in enumerate(plan):
        for i in range(count):
            dossier_id = f"{prefix}{n:02d}-{i}"
            decision = SCENARIOS[scenario][3]
            review = Review(decision=decision, at="2023-12-13T00:00:00+00:00") if decision else None
            row = summary_from_result(_result(dossier_id, scenario, received), _area(desa, tps), review)
            write_summary(store, row)
            ids.append(dossier_id)
    return ids


def _expected(in_area) -> dict[str, int]:
    """Figures for the plan entries whose desa satisfies `in_area`, computed from the plan alone."""
    out: dict[str, int] = {}

    def bump(column: str, n: int) -> None:
        out[column] = out.get(column, 0) + n

    for desa, _tps, scenario, count, _ in PLAN:
        if not in_area(desa):
            continue
        status, reasons, missing, decision = SCENARIOS[scenario]
        bump("diterima", count)
        bump({"complete": "lengkap", "incomplete": "belum_lengkap", "needs_review": "perlu_periksa",
              "not_eligible": "tidak_memenuhi_syarat"}[status], count)
        for doc in missing:
            bump(f"belum_lengkap_{doc}", count if status == "incomplete" else 0)
        for reason in reasons:
            if status == "needs_review":
                bump(f"perlu_periksa_{reason}", count)
            if status == "not_eligible" and reason == "UNDER_AGE":
                bump(f"tms_{reason}", count)
        bump({"approved": "disetujui", "rejected": "ditolak", "documents_requested": "diminta_melengkapi",
              None: "belum_diperiksa" if status != "complete" else "_"}[decision], count)
        bump("calon_memenuhi", count if decision == "approved" or (status == "complete" and decision is None) else 0)
        bump("baru_masuk", count)  # first night: no previous snapshot, everything is new
        bump("baru_lengkap", count if decision == "approved" or (status == "complete" and decision is None) else 0)
        bump("baru_ditandai", count if status != "complete" else 0)
    out.pop("_", None)
    return out


def _csv(store: MemoryStore, key: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(store.get_bytes(key).decode("utf-8-sig"))))


@pytest.fixture(scope="module")
def tps_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tps") / "tps.csv"
    lines = ["kode_desa,tps"] + [f"{desa},{int(t)}" for desa, ts in TPS_LIST.items() for t in ts]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def report(tps_file):
    store = MemoryStore()
    _load(store)
    paths = build_report(store, date="2023-12-13", area=None, tps_csv=tps_file, now=NOW)
    return store, paths


def _row_for(rows: list[dict[str, str]], code: str) -> dict[str, str]:
    return next(r for r in rows if r["kode"] == code)


@pytest.mark.parametrize(
    ("level", "code", "in_area"),
    [
        ("provinsi", "35", lambda desa: True),
        ("kabupaten", "35.75", lambda desa: desa is not None and desa.startswith("35.75.")),
        ("kecamatan", "35.75.02", lambda desa: desa is not None and desa.startswith("35.75.02.")),
        ("desa", A, lambda desa: desa == A),
        ("desa", C, lambda desa: desa == C),
        ("kabupaten", "35.??", lambda desa: desa is None),
    ],
)
def test_every_count_matches_the_plan(report, level, code, in_area):
    store, paths = report
    row = _row_for(_csv(store, paths.csv[level]), code)
    expected = _expected(in_area)
    for column in AREA_COLUMNS[5:]:
        if column.startswith(("umur", "jumlah_tps", "tps_", "kekurangan")):  # tested below
            continue
        assert int(row[column]) == expected.get(column, 0), column


def test_each_summary_row_is_read_once(report):
    store, _ = report
    summary_reads = {k: n for k, n in store.reads.items() if k.startswith("summaries/")}
    assert len(summary_reads) == sum(entry[3] for entry in PLAN)
    assert set(summary_reads.values()) == {1}


def test_oldest_unreviewed_age(report):
    store, paths = report
    kab = _row_for(_csv(store, paths.csv["kabupaten"]), "35.75")
    kec = _row_for(_csv(store, paths.csv["kecamatan"]), "35.75.01")
    malang = _row_for(_csv(store, paths.csv["kabupaten"]), "35.07")
    assert float(kab["umur_tertua_belum_diperiksa_hari"]) == 3.0  # EARLY, 2023-12-11 00:00 -> 12-14 00:00
    assert float(kec["umur_tertua_belum_diperiksa_hari"]) == pytest.approx(1.7)  # USUAL, 1 d 16 h
    assert malang["umur_tertua_belum_diperiksa_hari"] == ""  # everything there is complete


def test_tps_shortage_list_worst_first(report):
    store, paths = report
    short = _csv(store, paths.tps_shortage_csv)
    assert [(r["kode_desa"], r["tps"], r["kekurangan"]) for r in short] == [
        (A, "003", "7"), (C, "001", "5"), (A, "002", "3"), (B, "001", "2"), (D, "001", "1"),
    ]
    assert short[0]["nama_desa"] == "Kebonagung" and short[0]["nama_kecamatan"] == "Purworejo"


def test_tps_staffing_totals_and_unlisted_tps(report):
    store, paths = report
    kab = _row_for(_csv(store, paths.csv["kabupaten"]), "35.75")
    # Kota Pasuruan: A 001-003, B 001-002, C 001 listed; A/001 and B/002 have 7 filled seats
    assert (kab["jumlah_tps"], kab["tps_terpenuhi"], kab["tps_kurang"]) == ("6", "2", "4")
    assert kab["kekurangan_anggota"] == str(7 + 5 + 3 + 2)
    tps = _csv(store, paths.csv["tps"])
    unlisted = [r for r in tps if r["dalam_daftar_tps"] == "tidak"]
    assert {(r["kode_desa"], r["tps"]) for r in unlisted} == {(B, "009"), ("35.??.??.????", "004")}


def test_csv_columns(report):
    store, paths = report
    for level in ("provinsi", "kabupaten", "kecamatan", "desa"):
        header = store.get_bytes(paths.csv[level]).decode("utf-8-sig").splitlines()[0]
        assert header.split(",") == AREA_COLUMNS
    for key in (paths.csv["tps"], paths.tps_shortage_csv):
        assert store.get_bytes(key).decode("utf-8-sig").splitlines()[0].split(",") == TPS_COLUMNS


def test_html_is_self_contained_and_holds_the_figures(report):
    store, paths = report
    html = store.get_bytes(paths.html).decode("utf-8")
    assert html.count('src="data:image/png;base64,') == 3
    assert html.count("src=") == 3  # the charts are the only sources, all inline
    for outside in ("<link", "<script", "url(", "href="):
        assert outside not in html
    total = sum(entry[3] for entry in PLAN)
    assert f'<td class="t">Berkas diterima</td><td>{total}</td>' in html
    assert '<td class="t">TPS kurang calon (termasuk yang tanpa pendaftar)</td><td>5</td>' in html
    assert "Kebonagung" in html and "KOTA PASURUAN" in html


def test_pdf_holds_the_figures(report):
    store, paths = report
    with pdfplumber.open(io.BytesIO(store.get_bytes(paths.pdf))) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    total = sum(entry[3] for entry in PLAN)
    assert f"Berkas diterima {total}" in text
    assert "TPS kurang calon (termasuk yang tanpa pendaftar) 5" in text
    assert "Kekurangan anggota KPPS 18" in text
    assert "Laporan Kelengkapan Berkas Calon KPPS" in text
    assert "Kebonagung" in text


def test_area_scoped_report(tps_file):
    store = MemoryStore()
    _load(store)
    paths = build_report(store, date="2023-12-13", area="35.75.02", tps_csv=tps_file, now=NOW)
    assert paths.prefix == "reports/2023-12-13/35.75.02/"
    assert set(paths.csv) == {"kecamatan", "desa", "tps"}
    assert paths.snapshots == []  # only whole kabupaten/kota are snapshotted
    row = _row_for(_csv(store, paths.csv["kecamatan"]), "35.75.02")
    assert row["diterima"] == str(_expected(lambda d: d is not None and d.startswith("35.75.02."))["diterima"])
    assert {r["kode_desa"] for r in _csv(store, paths.csv["tps"])} == {A, B}


def test_changes_since_previous_night(tps_file):
    """GIVEN last night's report WHEN one dossier arrives, one is fixed and one gets a new reason
    THEN the next report counts 1 new, 2 newly complete (the new one is complete) and 1 newly flagged."""
    store = MemoryStore()
    ids = _load(store)
    build_report(store, date="2023-12-13", area=None, tps_csv=tps_file, now=NOW)
    later = "2023-12-13T10:00:00+00:00"
    fixed = ids[7]  # first "vitals" dossier at A/001 -> complete
    worse = ids[0]  # a complete dossier at A/001 -> needs review for a name mismatch
    write_summary(store, summary_from_result(_result(fixed, "complete", later), _area(A, "001")))
    write_summary(store, summary_from_result(_result(worse, "over55_name", later), _area(A, "001")))
    write_summary(store, summary_from_result(_result("new-1", "complete", later), _area(C, "001")))
    paths = build_report(store, date="2023-12-14", area=None, tps_csv=tps_file, now=NOW)
    assert paths.baseline == "2023-12-13"
    prov = _row_for(_csv(store, paths.csv["provinsi"]), "35")
    assert (prov["baru_masuk"], prov["baru_lengkap"], prov["baru_ditandai"]) == ("1", "2", "1")
    desa_a = _row_for(_csv(store, paths.csv["desa"]), A)
    assert (desa_a["baru_masuk"], desa_a["baru_lengkap"], desa_a["baru_ditandai"]) == ("0", "1", "1")


def test_summary_rows_hold_no_personal_data_and_keep_first_received_time():
    store = MemoryStore()
    result = _result("x-1", "missing_ktp", "2023-12-12T08:00:00+00:00")
    key = write_summary(store, summary_from_result(result, _area(A, "3")))
    assert key == f"summaries/35.75/35.75.02/{A}/x-1.json"
    assert store.get_json(key)["tps"] == "003"
    assert set(store.get_json(key)) == set(SummaryRow.model_fields)
    record_review(store, _area(A, "3"), "x-1", "approved", at="2023-12-12T09:00:00+00:00")
    again = _result("x-1", "complete", "2023-12-13T08:00:00+00:00")
    write_summary(store, summary_from_result(again, _area(A, "003")))
    row = SummaryRow.model_validate(store.get_json(key))
    assert row.received_at == "2023-12-12T08:00:00+00:00" and row.tps == "003"
    assert row.review is not None and row.review.decision == "approved"


def test_bad_tps_list_is_a_config_error(tmp_path):
    from pipeline.errors import ConfigError
    from pipeline.reports.tps import load_tps_list

    path = tmp_path / "tps.csv"
    path.write_text("kode_desa,tps\n35.75.02,1\n")
    with pytest.raises(ConfigError) as info:
        load_tps_list(path)
    assert info.value.code == "TPS_LIST_INVALID"


def test_nightly_job_receipt(monkeypatch):
    """The RQ job function, run in-process against the in-memory store (no TPS list: TPS from rows)."""
    from workers import jobs, report_jobs

    store = MemoryStore()
    _load(store)
    monkeypatch.setattr(report_jobs, "DEFAULT_TPS_LIST", Path("/nonexistent/tps.csv"))
    jobs.init_process(store=store, load_runtime=False)
    try:
        receipt = report_jobs.nightly_report_job("2023-12-13")
    finally:
        jobs.reset_process()
    assert receipt["rows_read"] == sum(entry[3] for entry in PLAN)
    assert receipt["prefix"] == "reports/2023-12-13/35/" and store.exists(receipt["pdf"])
    prov = _row_for(_csv(store, receipt["csv"]["provinsi"]), "35")
    # without a TPS list only TPS with candidates are known: A/003 (empty) is not among them
    assert prov["jumlah_tps"] == str(len({(d, t) for d, t, *_ in PLAN}))


@pytest.mark.redis
def test_nightly_job_through_rq(monkeypatch):
    """GIVEN the report queue (JSON serializer) WHEN a report is enqueued and a SimpleWorker bursts
    THEN the job finishes and its receipt names the stored PDF."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError
    from rq import SimpleWorker

    from workers import jobs, report_jobs
    from workers.queues import REPORT_QUEUE, get_queue

    connection = Redis.from_url(f"redis://127.0.0.1:6379/{os.environ.get('BERKAS_TEST_REDIS_DB', '15')}")
    try:
        connection.ping()
    except RedisConnectionError:
        pytest.fail("no Redis on 127.0.0.1:6379: scripts/test.sh starts one; run the tests through it")
    connection.flushdb()
    store = MemoryStore()
    _load(store)
    monkeypatch.setattr(report_jobs, "DEFAULT_TPS_LIST", Path("/nonexistent/tps.csv"))
    jobs.init_process(store=store, load_runtime=False)
    try:
        queue = get_queue(REPORT_QUEUE, connection)
        job = report_jobs.enqueue_report(queue, "2023-12-13")
        SimpleWorker([queue], connection=connection, serializer=queue.serializer).work(burst=True)
        job.refresh()
        assert job.get_status() == "finished", job.latest_result()
        assert store.exists(job.return_value()["pdf"])
    finally:
        jobs.reset_process()
        connection.flushdb()


def test_demo_tps_generator_is_seeded_and_covers_every_desa():
    from config.tps.generate_demo import desa_codes, generate

    pairs = generate("35.75", seed=1)
    assert pairs == generate("35.75", seed=1) and pairs != generate("35.75", seed=2)
    per_desa: dict[str, int] = {}
    for desa, number in pairs:
        per_desa[desa] = max(per_desa.get(desa, 0), number)
    assert set(per_desa) == set(desa_codes("35.75")) and len(per_desa) == 34
    assert all(5 <= n <= 25 for n in per_desa.values())


def test_oldest_age_is_never_negative():
    from datetime import UTC, datetime

    from pipeline.reports.aggregate import Counts

    counts = Counts()
    counts.oldest_unreviewed = datetime(2024, 1, 2, tzinfo=UTC)
    assert counts.oldest_age_days(datetime(2024, 1, 1, tzinfo=UTC)) == 0.0
    assert counts.oldest_age_days(datetime(2024, 1, 4, tzinfo=UTC)) == 2.0

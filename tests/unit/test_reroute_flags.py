"""scripts/reroute_flags.py: flags and summary rows filed under a weakly matched desa before issue 13 (finding 8)
are moved to where the current rule files them, once."""

from __future__ import annotations

from models.contract import DossierResult, DossierStatus, Wilayah
from pipeline.publish import flag_body
from pipeline.reports.summary import SummaryRow, summary_from_result, write_summary
from pipeline.storage import keys
from pipeline.storage.local import LocalStore
from scripts.reroute_flags import main, reroute

OLD_AREA = keys.AreaCodes("35.75", "35.75.01", "35.75.01.1001", "003")  # where `-` used to land
GOOD_AREA = keys.AreaCodes("35.75", "35.75.02", "35.75.02.1005", "004")


def _dossier(store, dossier_id: str, kecamatan: str, desa: str, tps: str, filed_under: keys.AreaCodes) -> None:
    result = DossierResult(dossier_id=dossier_id, status=DossierStatus.NEEDS_REVIEW, pipeline_version="t",
                           wilayah=Wilayah(provinsi="JAWA TIMUR", kabupaten_kota="KOTA PASURUAN", kecamatan=kecamatan,
                                           desa_kelurahan=desa, tps=tps), processed_at="2024-02-14T10:00:00+00:00")
    store.put_json(keys.result_key(dossier_id), result.model_dump(mode="json"))
    store.put_json(keys.flag_key(filed_under, dossier_id), flag_body(result))
    write_summary(store, summary_from_result(result, filed_under))


def test_old_weak_flags_move_to_unknown_once(tmp_path, monkeypatch, capsys):
    store = LocalStore(tmp_path, fsync=False)
    _dossier(store, "D-weak", "-", "KARANGKETUG", "003", OLD_AREA)
    _dossier(store, "D-good", "PURWOREJO", "KEBONAGUNG", "004", GOOD_AREA)
    store.put_json(keys.flag_key(OLD_AREA, "D-noresult"), {"dossier_id": "D-noresult", "failed": True})

    before = sorted(store.list("flags/"))
    assert len(reroute(store, dry_run=True).flags) == 1 and sorted(store.list("flags/")) == before

    moves = reroute(store)
    assert moves.flags == [(keys.flag_key(OLD_AREA, "D-weak"), "flags/unknown/unknown/unknown/003/D-weak.json")]
    assert [new for _, new in moves.summaries] == ["summaries/unknown/unknown/unknown/D-weak.json"]
    assert moves.without_result == [keys.flag_key(OLD_AREA, "D-noresult")]
    assert store.exists(keys.flag_key(GOOD_AREA, "D-good"))
    assert not any(k.endswith("/D-weak.json") and "35.75.01" in k for k in store.list(""))
    row = SummaryRow.model_validate(store.get_json("summaries/unknown/unknown/unknown/D-weak.json"))
    assert (row.kab, row.tps, row.received_at) == ("unknown", "003", "2024-02-14T10:00:00+00:00")
    assert list(store.list(keys.queue_pending_prefix("35.75", "35.75.01")))  # the queue index re-reads both areas
    assert list(store.list(keys.queue_pending_prefix("unknown", "unknown")))

    again = reroute(store)
    assert again.flags == [] and again.summaries == []

    monkeypatch.setenv("BERKAS_STORE", "local")
    monkeypatch.setenv("BERKAS_STORE_PATH", str(tmp_path))
    from config.settings import get_settings

    get_settings.cache_clear()
    assert main(["--dry-run"]) == 0
    get_settings.cache_clear()
    assert "0 flags and 0 summary rows would move" in capsys.readouterr().out

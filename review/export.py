"""The queue view as CSV, for a PPS/PPK/KPU office's own follow-up lists: codes turned into words, area names
beside their codes, times in WIB. No names or NIKs (the queue shows none either)."""

from __future__ import annotations

import csv
import io

from pipeline.regions import Regions
from review.labels import DECISION_NAMES, reason_name, wib
from review.queue import QueueItem
from review.web import DOC_LABELS, STATUS_LABELS

COLUMNS = ["berkas", "status", "alasan", "dokumen_kurang", "kabupaten_kota", "kecamatan", "desa_kelurahan",
           "kode_desa", "tps", "ditandai_wib", "keputusan", "dikerjakan_oleh"]


def queue_csv(items: list[QueueItem], regions: Regions) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(COLUMNS)
    for i in items:
        a = i.area
        w.writerow([
            i.dossier_id, STATUS_LABELS.get(i.status, i.status), "; ".join(reason_name(r) for r in i.reasons),
            "; ".join(DOC_LABELS.get(m, m) for m in i.missing),
            (regions.name_of(a.kab_code) if a.kab_code else "") or "",
            (regions.name_of(a.kec_code) if a.kec_code else "") or "",
            (regions.name_of(a.desa_code) if a.desa_code else "") or "", a.desa_code or "", a.tps or "",
            wib(i.flagged_at), DECISION_NAMES.get(i.decision["decision"], "") if i.decided and i.decision else "",
            i.claim.username if i.claim else "",
        ])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: spreadsheet programs then read UTF-8

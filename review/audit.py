"""The audit trail as the review app shows it. Writing and reading live in `pipeline.audit` (the pipeline
writes entries too, about verifier corrections on re-processing)."""

from __future__ import annotations

from pipeline.audit import append, trail

ACTION_LABELS = {
    "claim": "Mengambil berkas",
    "release": "Melepas berkas",
    "approve": "Disetujui (MS)",
    "reject": "Ditolak (TMS)",
    "correct": "Koreksi isian",
    "request_documents": "Minta dokumen",
    "upload": "Unggah pindaian",
    "set_page_type": "Jenis halaman ditentukan",
    "corrections_reapplied": "Koreksi diterapkan lagi pada pembacaan ulang",
    "correction_dropped": "Koreksi tidak berlaku lagi",
}

__all__ = ["ACTION_LABELS", "append", "trail"]

"""Report vocabulary: reason codes grouped as the rules engine emits them, with Indonesian labels."""

from __future__ import annotations

NEEDED_PER_TPS = 7  # 1 ketua + 6 anggota KPPS

MISSING_DOCS = ("ktp", "ijazah", "surat_sehat", "registration")
MISSING_LABELS = {
    "ktp": "KTP-el",
    "ijazah": "Ijazah",
    "surat_sehat": "Surat keterangan sehat",
    "registration": "Data pendaftaran (registration.json)",
}

NOT_ELIGIBLE_REASONS = ("UNDER_AGE", "EDUCATION_TOO_LOW", "NOT_HEALTHY", "NOT_WNI")
REVIEW_REASONS = (
    "FILE_UNREADABLE", "OVER_55", "VITALS_MISSING", "HEALTH_LETTER_STALE", "ISSUER_UNKNOWN", "OUT_OF_AREA",
    "NAME_MISMATCH", "NIK_MISMATCH", "DOB_MISMATCH", "NIK_INVALID", "NIK_INCONSISTENT", "DUPLICATE_NIK",
    "LOW_CONFIDENCE", "FIELD_UNREADABLE",
)
OTHER = "LAINNYA"

REASON_LABELS = {
    "UNDER_AGE": "Belum 17 tahun",
    "EDUCATION_TOO_LOW": "Pendidikan di bawah SMA/sederajat",
    "NOT_HEALTHY": "Tidak sehat",
    "NOT_WNI": "Bukan WNI",
    "FILE_UNREADABLE": "File tidak terbaca",
    "OVER_55": "Usia di atas 55 tahun",
    "VITALS_MISSING": "Tensi/gula/kolesterol tidak tercantum",
    "HEALTH_LETTER_STALE": "Surat sehat kedaluwarsa",
    "ISSUER_UNKNOWN": "Penerbit surat sehat tidak dikenal",
    "OUT_OF_AREA": "Alamat di luar wilayah kerja",
    "NAME_MISMATCH": "Nama tidak sama",
    "NIK_MISMATCH": "NIK tidak sama",
    "DOB_MISMATCH": "Tanggal lahir tidak sama",
    "NIK_INVALID": "NIK tidak valid",
    "NIK_INCONSISTENT": "NIK tidak cocok dengan data KTP",
    "DUPLICATE_NIK": "NIK terdaftar ganda",
    "LOW_CONFIDENCE": "Hasil baca kurang yakin",
    "FIELD_UNREADABLE": "Isian tidak terbaca",
    OTHER: "Lainnya",
}

STATUS_LABELS = {
    "complete": "Lengkap",
    "incomplete": "Belum lengkap",
    "needs_review": "Perlu diperiksa",
    "not_eligible": "Tidak memenuhi syarat",
}
DECISION_LABELS = {
    "approved": "Disetujui",
    "rejected": "Ditolak",
    "documents_requested": "Diminta melengkapi",
}
LEVEL_LABELS = {
    "provinsi": "Provinsi",
    "kabupaten": "Kabupaten/Kota",
    "kecamatan": "Kecamatan",
    "desa": "Desa/Kelurahan",
    "tps": "TPS",
}

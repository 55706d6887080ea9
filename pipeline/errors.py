"""One error tree for Berkas. Every error carries a stable reason code.

The code is what results, the review app, reports and tests use; the message says (Bahasa Indonesia
first) what happened and what to do next.
"""

from __future__ import annotations


class BerkasError(Exception):
    """Base of every error Berkas raises on purpose."""

    code = "BERKAS_ERROR"
    message_id = "Terjadi kesalahan pada Berkas."

    def __init__(self, detail: str = "", *, code: str | None = None) -> None:
        if code:
            self.code = code
        self.detail = detail
        super().__init__(f"{self.code}: {detail}" if detail else self.code)


class ConfigError(BerkasError):
    code = "CONFIG_INVALID"
    message_id = "Konfigurasi Berkas tidak valid."


class SecretUnsafe(ConfigError):
    """A secret (NIK-index key, session key) is unset, a known default, or too short, outside development mode."""

    code = "SECRET_UNSAFE"
    message_id = "Kunci rahasia Berkas belum diatur atau terlalu lemah."


class EngineMissing(BerkasError):
    """An external engine (tesseract, its language data) is not installed."""

    code = "ENGINE_MISSING"
    message_id = "Mesin OCR tidak terpasang."


class OcrFailed(BerkasError):
    code = "OCR_FAILED"
    message_id = "Halaman tidak dapat dibaca oleh mesin OCR."


# ---- input problems: a file or a dossier that cannot be used as it is -------------------------


class InputError(BerkasError):
    """A problem with what a candidate submitted; recorded on the dossier, never fatal for the run."""

    code = "INPUT_INVALID"
    message_id = "Berkas masukan tidak valid."


class RegistrationMissing(InputError):
    code = "REGISTRATION_MISSING"
    message_id = "registration.json tidak ada di folder berkas."


class RegistrationInvalid(InputError):
    code = "REGISTRATION_INVALID"
    message_id = "registration.json rusak atau isinya tidak lengkap."


class FileRejected(InputError):
    """A scan file that cannot be read. `code` says why (see REASONS below)."""

    code = "FILE_REJECTED"
    message_id = "File tidak dapat dibaca."


class StorageError(BerkasError):
    code = "STORAGE_ERROR"
    message_id = "Penyimpanan objek tidak dapat diakses."


class ObjectNotFound(StorageError):
    code = "OBJECT_NOT_FOUND"
    message_id = "Objek tidak ditemukan di penyimpanan."


class IntegrityError(StorageError):
    code = "CHECKSUM_MISMATCH"
    message_id = "Isi file tidak cocok dengan checksum-nya."


class WriteConflict(StorageError):
    """A conditional write lost: the object changed (or appeared, or went) since it was read.

    `pipeline.storage.cas.update_json` reads again and retries; after its budget it raises this, so a lost
    update is never silent."""

    code = "WRITE_CONFLICT"
    message_id = "Data berubah ketika sedang disimpan oleh proses lain. Coba lagi."


# Reason codes of rejected files, with the message a verifier reads.
FILE_REASONS: dict[str, str] = {
    "FILE_EMPTY": "File kosong (0 byte). Minta pendaftar mengunggah ulang.",
    "FILE_TOO_LARGE": "File melebihi batas ukuran. Minta pindaian dengan resolusi lebih kecil.",
    "FILE_UNSUPPORTED": "Jenis file tidak didukung (gunakan JPEG, PNG, TIFF atau PDF).",
    "FILE_TYPE_MISMATCH": "Isi file tidak sesuai dengan ekstensinya.",
    "FILE_TRUNCATED": "File gambar terpotong atau rusak. Minta pendaftar mengunggah ulang.",
    "FILE_CORRUPT": "File rusak dan tidak dapat dibuka.",
    "FILE_ENCRYPTED": "PDF terkunci dengan kata sandi. Minta versi tanpa kata sandi.",
    "IMAGE_TOO_LARGE": "Ukuran gambar (piksel) melebihi batas; kemungkinan file berbahaya atau salah pindai.",
    "TOO_MANY_PAGES": "PDF memiliki terlalu banyak halaman; hanya halaman awal yang diperiksa.",
    "DECODE_TIMEOUT": "File terlalu lama dibuka (melebihi batas waktu); kemungkinan file rusak.",
    "PAGE_UNREADABLE": "Halaman tidak dapat dibaca oleh OCR.",
    # a warning, not a refusal: the file was read, but it is damaged and only partly recovered (decode.py)
    "FILE_DAMAGED": "File PDF rusak dan diperbaiki otomatis saat dibaca; isinya mungkin tidak lengkap. Periksa file "
                    "aslinya; bila ada yang hilang, minta unggah ulang.",
    # the stored copy, not the candidate's file: ingesting the input again writes it anew (workers/ingest.py)
    "CHECKSUM_MISMATCH": "Salinan file di penyimpanan rusak (checksum tidak cocok), jadi isinya tidak diperiksa. "
                         "Jalankan ingest ulang dengan file aslinya, lalu proses lagi.",
    "OBJECT_NOT_FOUND": "File tercatat di berkas tetapi tidak ada di penyimpanan. Jalankan ingest ulang dengan file "
                        "aslinya, lalu proses lagi.",
}

# File errors that are warnings: the file's pages were read (what was recovered is in the message).
FILE_WARNINGS = frozenset({"FILE_DAMAGED"})

# File errors caused by the store, not by what the candidate sent: the file may hold a required document.
STORED_COPY_ERRORS = frozenset({"CHECKSUM_MISMATCH", "OBJECT_NOT_FOUND"})

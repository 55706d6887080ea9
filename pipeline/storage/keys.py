"""The object key layout. This module is the ONLY place keys are built; docs/storage.md says why.

    originals/<dossier_id>/<sha256>/<safe file name>        immutable, written once
    dossiers/<dossier_id>/registration.json
    dossiers/<dossier_id>/manifest.json
    results/<dossier_id>/result.json                         latest result
    results/<dossier_id>/history/<UTC stamp>-<sha8>.json     every result, kept
    flags/<kab>/<kec>/<desa>/<tps>/<dossier_id>.json         review queue, listed by area prefix
    summaries/<kab>/<kec>/<desa>/<dossier_id>.json           input of the nightly reports
    index/nik/<hmac>/<dossier_id>                            duplicate-NIK index (NIK never in a key)
    index/dossier-nik/<dossier_id>.json                      which NIK hmac a dossier holds now
    audit/<dossier_id>/<UTC stamp>-<n>.json                  who did what, kept
    failures/<dossier_id>/<UTC stamp>-<n>.json               worker failures (job id, error), kept
    corrections/<dossier_id>/<UTC stamp>-<n>.json            verifier corrections, kept (+ dropped/<same name>)
    queue-index/pending/<kab>/<kec>/<desa>~<tps>~<id>~<tok>  "this row may have changed", folded into the review
                                                             database's queue table by the app (review/queue_sync.py)
    batches/<UTC stamp>-<n>.json                             one ingested input: its dossiers and what was skipped, why

Area codes are Kemendagri codes as written in config/wilayah (e.g. `35.75`, `35.75.02`,
`35.75.02.1005`) and the TPS number as registered (`003`); an area that cannot be resolved, or was
matched only weakly, is written `unknown` at every level, so such dossiers still appear in the queue,
under their own prefix, which only an admin's queue covers.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from models.contract import DOSSIER_ID_RE

UNKNOWN = "unknown"
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_CODE_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")
# characters that are never kept in a stored file name (path separators, Windows-reserved, controls)
_BAD_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_MAX_NAME_BYTES = 180
_NIK_RUN = re.compile(r"(?<!\d)\d{16}(?!\d)")  # a NIK's shape, as pipeline.logs masks it
NIK_MASK = "NIK-disamarkan"


@dataclass(frozen=True)
class AreaCodes:
    """Where a dossier belongs: kabupaten/kota, kecamatan, desa/kelurahan codes and TPS number.

    None (or an empty string) means "could not be resolved" and is written as `unknown`.
    """

    kab_code: str | None = None
    kec_code: str | None = None
    desa_code: str | None = None
    tps: str | None = None

    def segments(self) -> tuple[str, str, str, str]:
        kab, kec, desa, tps = (_code(c) for c in (self.kab_code, self.kec_code, self.desa_code, self.tps))
        return kab, kec, desa, tps

    @classmethod
    def unknown(cls) -> AreaCodes:
        return cls()

    @classmethod
    def from_match(cls, match: Any, *, tps: str | None = None) -> AreaCodes:
        """From a `pipeline.regions.AreaMatch` (plain-digit codes): dotted codes, TPS as 3 digits.

        A level below one that was not found is unknown too; an unusable value becomes unknown.
        """
        kab = dotted_code(getattr(match, "kabkota_code", None))
        kec = dotted_code(getattr(match, "kecamatan_code", None)) if kab else None
        desa = dotted_code(getattr(match, "desa_code", None)) if kec else None
        return cls(kab, kec, desa, normalise_tps(tps))

    @classmethod
    def from_route(cls, route: Any, *, tps: str | None = None) -> AreaCodes:
        """From a `pipeline.regions.AreaRoute`: its codes when the match is confident, otherwise `unknown`
        at every level (only an admin's queue covers it), whatever area scored best. The TPS is kept."""
        if getattr(route, "confident", False) is not True:
            return cls(tps=normalise_tps(tps))
        return cls.from_match(route.match, tps=tps)


def dotted_code(code: str | None) -> str | None:
    """`3575021005` -> `35.75.02.1005` (codes already dotted are kept); None when not a region code."""
    if not code:
        return None
    plain = str(code).replace(".", "").strip()
    if not plain.isdigit() or len(plain) not in (2, 4, 6, 10):
        return None
    parts = [plain[:2], plain[2:4], plain[4:6], plain[6:]]
    return ".".join(p for p in parts if p)


def normalise_tps(tps: str | None) -> str | None:
    """`3`, `03`, `TPS 003` -> `003` (as pipeline.reports writes it); None when it holds no digits."""
    digits = "".join(ch for ch in str(tps or "") if ch.isdigit())
    return digits.zfill(3) if digits else None


def _code(value: str | None) -> str:
    if value is None or not str(value).strip():
        return UNKNOWN
    value = str(value).strip()
    if not _CODE_RE.match(value) or value in {".", ".."}:
        raise ValueError(f"not a usable area code: {value!r}")
    return value


def _dossier(dossier_id: str) -> str:
    if not isinstance(dossier_id, str) or not DOSSIER_ID_RE.match(dossier_id) or dossier_id in {".", ".."}:
        raise ValueError(f"invalid dossier id: {dossier_id!r}")
    return dossier_id


def _sha(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256_RE.match(sha256):
        raise ValueError("sha256 must be 64 lower-case hex digits")
    return sha256


def utc_stamp(ts: datetime | None = None) -> str:
    """`20240214T101500.123456Z`: sorts in time order, safe in a key. Naive datetimes are taken as UTC."""
    ts = ts or datetime.now(UTC)
    ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    return ts.strftime("%Y%m%dT%H%M%S.%fZ")


def mask_nik(text: str) -> str:
    """`text` with every run of exactly 16 digits (a NIK's shape) replaced by `NIK-disamarkan`."""
    return _NIK_RUN.sub(NIK_MASK, str(text))


def safe_filename(name: str) -> str:
    """A submitted file name made safe to be the last segment of a key.

    Keeps letters of any script (NFC-normalised), drops any directory part, path separators,
    control and Windows-reserved characters, leading dots, masks a NIK (16 digits in a row) and
    shortens to 180 UTF-8 bytes keeping the extension. Applying it twice changes nothing more.
    """
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = mask_nik(_BAD_NAME_CHARS.sub("_", name).strip().lstrip(".").strip())
    if not name:
        return "file"
    if len(name.encode("utf-8")) > _MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        if not dot or len(ext) > 10:
            stem, ext = name, ""
        ext = f".{ext}" if ext else ""
        budget = _MAX_NAME_BYTES - len(ext.encode("utf-8"))
        stem = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
        name = stem + ext
    return name


def display_name(name: str) -> str:
    """The name a submitted file goes by in the manifest, results, the review app and the audit trail.

    `name` is its path inside the dossier folder (`scans/ktp.jpg`, or `scans\\ktp.jpg` from a zip made on
    Windows): backslashes count as folder separators, `.`/`..`/empty segments are dropped, and every segment is
    made safe by `safe_filename` (so a NIK in the name is masked). The name as submitted is kept beside it in
    the manifest (`original_name`)."""
    parts = str(name).replace("\\", "/").split("/")
    kept = [safe_filename(p) for p in parts if p.strip() not in {"", ".", ".."}]
    return "/".join(kept) or "file"


# ---- originals and dossier descriptions ----------------------------------------------------------


def originals_prefix(dossier_id: str) -> str:
    return f"originals/{_dossier(dossier_id)}/"


def original_key(dossier_id: str, sha256: str, filename: str) -> str:
    return f"{originals_prefix(dossier_id)}{_sha(sha256)}/{safe_filename(filename)}"


def dossier_prefix(dossier_id: str) -> str:
    return f"dossiers/{_dossier(dossier_id)}/"


def registration_key(dossier_id: str) -> str:
    return f"{dossier_prefix(dossier_id)}registration.json"


def manifest_key(dossier_id: str) -> str:
    return f"{dossier_prefix(dossier_id)}manifest.json"


# ---- results ---------------------------------------------------------------------------------------


def result_key(dossier_id: str) -> str:
    return f"results/{_dossier(dossier_id)}/result.json"


def result_history_prefix(dossier_id: str) -> str:
    return f"results/{_dossier(dossier_id)}/history/"


def result_history_key(dossier_id: str, ts: datetime | str, sha: str) -> str:
    """`sha` is the sha256 (hex) of the stored result; its first 8 digits make the name unique."""
    stamp = ts if isinstance(ts, str) else utc_stamp(ts)
    if not _CODE_RE.match(stamp):
        raise ValueError(f"not a usable timestamp: {stamp!r}")
    if not re.match(r"^[0-9a-f]{8,64}$", sha or ""):
        raise ValueError("sha must be hex, at least 8 digits")
    return f"{result_history_prefix(dossier_id)}{stamp}-{sha[:8]}.json"


# ---- area-scoped: review queue and report summaries ------------------------------------------------


def _area_prefix(root: str, parts: tuple[str | None, ...]) -> str:
    out = [root]
    ended = False
    for part in parts:
        if part is None:
            ended = True
            continue
        if ended:
            raise ValueError("an area prefix is built from the top: give the kabupaten before the kecamatan")
        out.append(_code(part))
    return "/".join(out) + "/"


def flag_key(area: AreaCodes, dossier_id: str) -> str:
    return "flags/" + "/".join(area.segments()) + f"/{_dossier(dossier_id)}.json"


def flag_prefix(
    kab_code: str | None = None, kec_code: str | None = None, desa_code: str | None = None, tps: str | None = None
) -> str:
    """`flags/` alone, or narrowed to an area: flag_prefix("35.75", "35.75.02") -> `flags/35.75/35.75.02/`."""
    return _area_prefix("flags", (kab_code, kec_code, desa_code, tps))


def summary_key(area: AreaCodes, dossier_id: str) -> str:
    kab, kec, desa, _tps = area.segments()
    return f"summaries/{kab}/{kec}/{desa}/{_dossier(dossier_id)}.json"


def summary_prefix(kab_code: str | None = None, kec_code: str | None = None, desa_code: str | None = None) -> str:
    return _area_prefix("summaries", (kab_code, kec_code, desa_code))


# ---- NIK index: keyed hash, never the NIK itself -----------------------------------------------------


def nik_hmac(nik: str, secret: str | bytes | SecretStr) -> str:
    """HMAC-SHA256 (hex) of the NIK's digits under settings.index_secret."""
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not secret:
        raise ValueError("index secret is empty")
    digits = "".join(ch for ch in str(nik) if ch in "0123456789")  # ASCII only: '٣'.isdigit() is True too
    return hmac.new(secret, digits.encode("ascii"), hashlib.sha256).hexdigest()


def nik_index_prefix(nik_hash: str) -> str:
    return f"index/nik/{_sha(nik_hash)}/"


def nik_index_key(nik_hash: str, dossier_id: str) -> str:
    return f"{nik_index_prefix(nik_hash)}{_dossier(dossier_id)}"


def dossier_nik_key(dossier_id: str) -> str:
    return f"index/dossier-nik/{_dossier(dossier_id)}.json"


# ---- audit and failures ------------------------------------------------------------------------------


def audit_prefix(dossier_id: str) -> str:
    return f"audit/{_dossier(dossier_id)}/"


def audit_key(dossier_id: str, ts: datetime | None = None, n: int = 0) -> str:
    return f"{audit_prefix(dossier_id)}{utc_stamp(ts)}-{int(n)}.json"


def failure_prefix(dossier_id: str) -> str:
    return f"failures/{_dossier(dossier_id)}/"


def failure_key(dossier_id: str, ts: datetime | None = None, n: int = 0) -> str:
    return f"{failure_prefix(dossier_id)}{utc_stamp(ts)}-{int(n)}.json"


# ---- review app: accounts, sessions, claims and decisions live in the review database (review/db.py) -------
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


# ---- review queue marks: "this flag changed", folded into the review database (review/queue_sync.py) ----
QUEUE_INDEX_PREFIX = "queue-index/"


def queue_pending_prefix(*segments: str | None) -> str:
    """Pending marks ("this dossier's queue row may have changed") under an area prefix (kab, kec, desa, tps).

    Marks are flat names inside their kecamatan's folder (`<desa>~<tps>~<id>~<token>`; `~` occurs in no
    code or id), so a prefix below the kecamatan ends in a partial name and no folder is left per desa/TPS.
    """
    if len(segments) > 4:
        raise ValueError("an area prefix has at most kab, kec, desa and TPS")
    base = _area_prefix("queue-index/pending", tuple(segments[:2]))
    tail = [_code(s) for s in segments[2:]]
    if tail and None in segments[:2]:
        raise ValueError("an area prefix is built from the top: give the kabupaten before the kecamatan")
    return base + "".join(f"{t}~" for t in tail)


def queue_pending_key(area: AreaCodes, dossier_id: str, token: str) -> str:
    if not re.match(r"^[0-9A-Za-z.]{8,64}$", token or ""):
        raise ValueError("pending-mark token: 8-64 letters, digits or dots")
    return f"{queue_pending_prefix(*area.segments())}{_dossier(dossier_id)}~{token}"


def queue_pending_parse(key: str) -> tuple[AreaCodes, str]:
    """(area, dossier id) of a pending-mark key; ValueError for anything else."""
    parts = key.split("/")
    names = parts[-1].split("~") if len(parts) == 5 else []
    if parts[:2] != ["queue-index", "pending"] or len(names) != 4:
        raise ValueError(f"not a pending-mark key: {key!r}")
    kab, kec, desa, tps = (None if p == UNKNOWN else p for p in (parts[2], parts[3], names[0], names[1]))
    return AreaCodes(kab, kec, desa, tps), names[2]


# ---- verifier corrections: kept apart from results so re-processing can apply them again ---------------


def corrections_prefix(dossier_id: str) -> str:
    return f"corrections/{_dossier(dossier_id)}/"


def correction_key(dossier_id: str, ts: datetime | None = None, n: int = 0) -> str:
    """One verifier correction, written once (put_if_absent)."""
    return f"{corrections_prefix(dossier_id)}{utc_stamp(ts)}-{int(n)}.json"


def page_type_key(dossier_id: str, sha256: str, page: int) -> str:
    """A verifier's document type for one page (file bytes + page number): the page is read as that type."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise ValueError("page type: sha256 must be 64 hex digits")
    return f"{corrections_prefix(dossier_id)}types/{sha256}-{int(page)}.json"


def correction_dropped_key(correction: str) -> str:
    """The tombstone of a correction whose page is gone: written once, so the drop is audited once."""
    parts = correction.split("/")
    if len(parts) != 3 or parts[0] != "corrections" or not parts[2].endswith(".json"):
        raise ValueError(f"not a correction key: {correction!r}")
    return f"{corrections_prefix(parts[1])}dropped/{parts[2]}"


# ---- ingested batches -------------------------------------------------------------------------------


def batch_key(ts: datetime | None = None, n: int = 0) -> str:
    """The record of one ingested input (dossier ids, skipped inputs and why), written once."""
    return f"batches/{utc_stamp(ts)}-{int(n)}.json"


# ---- reading keys back ---------------------------------------------------------------------------------


def dossier_id_from_key(key: str) -> str:
    """The dossier id a flag, summary, index or result key names (its last segment or the segment after the root)."""
    parts = key.split("/")
    if parts[0] in {"flags", "summaries", "index"}:
        last = parts[-1]
        return last[: -len(".json")] if last.endswith(".json") else last
    if parts[0] in {"originals", "dossiers", "results", "audit", "failures"} and len(parts) > 1:
        return parts[1]
    raise ValueError(f"key names no dossier: {key!r}")


def area_from_flag_key(key: str) -> AreaCodes:
    parts = key.split("/")
    if len(parts) != 6 or parts[0] != "flags":
        raise ValueError(f"not a flag key: {key!r}")
    kab, kec, desa, tps = (None if p == UNKNOWN else p for p in parts[1:5])
    return AreaCodes(kab, kec, desa, tps)

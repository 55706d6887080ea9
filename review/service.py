"""What the review app does, apart from HTTP: load a dossier within the account's area, and act on it.

Every action checks the area, respects claims and appends to the audit trail before returning.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from config.settings import Settings
from models.contract import FIELDS_BY_TYPE, CheckStatus, DocType, DossierResult, Registration
from pipeline import corrections, manifest, page_types
from pipeline.errors import ObjectNotFound, OcrFailed
from pipeline.regions import Regions
from pipeline.storage import keys
from pipeline.storage.base import ObjectStore
from review import audit
from review.accounts import Account
from review.claims import Claim, ClaimedByOther, Claims
from review.db import DecisionRow, ReviewDB, latest_decision, open_db
from review.labels import wib
from review.queue_sync import record_decision
from review.scope import covers
from review.settings import ReviewSettings

log = logging.getLogger(__name__)

DECISIONS = {"MS": "Memenuhi Syarat", "TMS": "Tidak Memenuhi Syarat", "DOCS_REQUESTED": "Dokumen diminta"}
UPLOAD_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".tif": "image/tiff",
                ".tiff": "image/tiff", ".pdf": "application/pdf"}
# What "Minta dokumen" can ask for: every document a check's message can send the candidate to fetch.
REQUESTABLE = {
    "ktp": "KTP-el", "ijazah": "Ijazah", "surat_sehat": "Surat keterangan sehat",
    "surat_sehat_baru": "Surat keterangan sehat yang baru (memuat tensi, gula darah, kolesterol)",
    "surat_domisili": "Surat keterangan domisili", "pindaian_ulang": "Pindaian ulang yang lebih jelas",
}
# which reason codes suggest which request (pre-ticked on the dossier page)
_SUGGEST = {"OUT_OF_AREA": "surat_domisili", "HEALTH_LETTER_STALE": "surat_sehat_baru",
            "VITALS_MISSING": "surat_sehat_baru", "DOCUMENT_UNREADABLE": "pindaian_ulang",
            "FILE_UNREADABLE": "pindaian_ulang", "FILE_DAMAGED": "pindaian_ulang"}


def suggested_requests(result: DossierResult) -> list[str]:
    """The requests the dossier's findings point to: its missing documents, a domicile letter when the
    address is outside the area, a new health letter when it is stale or lacks vitals, a new scan when
    a page or file could not be read."""
    out: list[str] = [str(d.value) for d in result.missing_documents if d.value in REQUESTABLE]
    out += [_SUGGEST[c.reason] for c in result.checks if c.status != CheckStatus.PASS and c.reason in _SUGGEST]
    return list(dict.fromkeys(out))


DOC_NAMES = {"ktp": "KTP-el", "ijazah": "ijazah", "surat_sehat": "surat keterangan sehat"}
_DATE_FIELDS = {"tanggal_lahir", "tanggal_surat", "berlaku_hingga"}


class ReviewError(Exception):
    """A request the app refuses; `status` is the HTTP status, the message is for the verifier (Bahasa)."""

    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status:
            self.status = status


class OutOfArea(ReviewError):
    status = 403


class NotFound(ReviewError):
    status = 404


class NoOcrEngine:
    """The web process never runs OCR: re-checks after a correction reuse the stored fields."""

    name = "none"

    def read(self, image, *, psm: int = 3, whitelist: str | None = None):
        raise OcrFailed("the review app does not run OCR")


class QueueLink:
    """The distributed mode's dossier queue (RQ on Redis) as the review app uses it: `link(dossier_id,
    manifest_version)` queues a re-processing and returns the job id; `position(job_id)` is the job's place
    in the waiting line (1 = next; None when it is running, finished or unknown)."""

    def __init__(self, settings: Settings) -> None:
        from workers.queues import DOSSIER_QUEUE, connect, get_queue

        self.queue = get_queue(DOSSIER_QUEUE, connect(settings))

    def __call__(self, dossier_id: str, version: int) -> str | None:
        from workers.queues import dossier_job_id, enqueue_dossier

        job = enqueue_dossier(self.queue, dossier_id, version=version)
        return job.id if job is not None else dossier_job_id(dossier_id, version)

    def position(self, job_id: str) -> int | None:
        pos = self.queue.get_job_position(job_id)
        return None if pos is None else int(pos) + 1


def queue_enqueuer(settings: Settings) -> Callable[[str, int], str | None]:
    """`enqueue(dossier_id, manifest_version)` onto the distributed mode's dossier queue (RQ on Redis)."""
    return QueueLink(settings)


def recheck_default(store, runtime, dossier_id, registration, documents, errors, registration_error=None, **kw):
    from pipeline.process import evaluate_and_publish

    return evaluate_and_publish(store, runtime, dossier_id, registration, documents, errors, registration_error, **kw)


@dataclass
class DossierView:
    result: DossierResult
    area: keys.AreaCodes
    registration: Registration | None
    claim: Claim | None
    decision: dict | None
    trail: list[dict]
    pending_uploads: list[dict]
    pending_types: dict[int, str] = field(default_factory=dict)
    waiting: list[dict] = field(default_factory=list)  # re-processings asked for and not in the result yet


class ReviewService:
    def __init__(self, store: ObjectStore, settings: Settings, review: ReviewSettings, *,
                 regions: Regions | None = None,
                 runtime_factory: Callable[[], Any] | None = None,
                 recheck: Callable[..., DossierResult] = recheck_default,
                 enqueue: Callable[[str, int], str | None] | None = None,
                 db: ReviewDB | None = None) -> None:
        self.store = store
        self.settings = settings
        self.review = review
        self.db = db or open_db(review.db_url(settings))
        self.regions = regions or Regions.load()
        self.claims = Claims(self.db, timedelta(minutes=review.claim_minutes))
        self._runtime_factory = runtime_factory or self._load_runtime
        self._runtime = None
        self.recheck = recheck
        self.enqueue = enqueue
        self.position: Callable[[str], int | None] | None = getattr(enqueue, "position", None)

    # ---- loading -------------------------------------------------------------------------------

    def _load_runtime(self):
        """A light runtime for re-checks: rules and regions, a stand-in OCR engine, no spaCy pipeline
        (re-checks never read text; `Runtime.load` would spend seconds building it)."""
        from config.rules import load_rules
        from pipeline.runtime import Runtime

        return Runtime(settings=self.settings, engine=NoOcrEngine(), nlp=None,
                       rules=load_rules(self.settings.rules_file), regions=self.regions)

    @property
    def runtime(self):
        if self._runtime is None:
            self._runtime = self._runtime_factory()
        return self._runtime

    def area_of(self, result: DossierResult) -> keys.AreaCodes:
        from pipeline.publish import area_of

        return area_of(result, SimpleNamespace(regions=self.regions))

    def _result(self, dossier_id: str) -> DossierResult:
        try:
            return DossierResult.model_validate(self.store.get_json(keys.result_key(dossier_id)))
        except (ObjectNotFound, ValueError) as e:
            raise NotFound("Berkas tidak ditemukan.") from e

    def authorize(self, account: Account, dossier_id: str) -> tuple[DossierResult, keys.AreaCodes]:
        """The dossier's result and area, or OutOfArea / NotFound. Every route goes through here."""
        result = self._result(dossier_id)
        area = self.area_of(result)
        if not covers(account, area):
            log.warning("refused: %s asked for dossier %s outside their area", account.username, dossier_id)
            raise OutOfArea("Berkas ini di luar wilayah Anda.")
        return result, area

    def registration(self, dossier_id: str) -> Registration | None:
        try:
            return Registration.model_validate(self.store.get_json(keys.registration_key(dossier_id)))
        except (ObjectNotFound, ValueError):
            return None

    def view(self, account: Account, dossier_id: str) -> DossierView:
        result, area = self.authorize(account, dossier_id)
        processed = {(d.file, d.sha256) for d in result.documents} | {(e.file, None) for e in result.errors}
        pending = [f for f in self._manifest(dossier_id).get("files", [])
                   if f.get("source") == "review-upload" and (f["name"], f["sha256"]) not in processed
                   and (f["name"], None) not in processed]
        trail = audit.trail(self.store, dossier_id)
        pending_types = self.pending_types(dossier_id, result)
        return DossierView(result=result, area=area, registration=self.registration(dossier_id),
                           claim=self.claims.get(dossier_id), decision=self.decision(dossier_id),
                           trail=trail, pending_uploads=pending, pending_types=pending_types,
                           waiting=self._waiting(trail, result) if (pending or pending_types) else [])

    def _waiting(self, trail: list[dict], result: DossierResult) -> list[dict]:
        """The re-processings asked for since the current result (uploads, types set by hand), each with
        its place in the processing queue when the queue can tell."""
        out = []
        for e in trail:
            if e.get("action") not in ("upload", "set_page_type") or (result.processed_at or "") > e.get("at", ""):
                continue
            job = e.get("job_id")
            position = self.position(job) if job and self.position is not None else None
            out.append({"action": e["action"], "job": job, "position": position, "at": e.get("at")})
        return out

    def state(self, account: Account, dossier_id: str) -> dict:
        """What the dossier page polls to notice a new result: when it was processed, what is still waiting."""
        result, _area = self.authorize(account, dossier_id)
        return {"processed_at": result.processed_at, "status": result.status.value}

    # ---- claims --------------------------------------------------------------------------------

    def claim(self, account: Account, dossier_id: str) -> Claim:
        self.authorize(account, dossier_id)
        claim = self._take(account, dossier_id)
        audit.append(self.store, dossier_id, "claim", account.username, account.role.value,
                     after={"expires_at": claim.to_json()["expires_at"]})
        return claim

    def release(self, account: Account, dossier_id: str) -> None:
        self.authorize(account, dossier_id)
        self.claims.release(dossier_id, account.username)
        audit.append(self.store, dossier_id, "release", account.username, account.role.value)

    def _take(self, account: Account, dossier_id: str) -> Claim:
        try:
            return self.claims.claim(dossier_id, account.username)
        except ClaimedByOther as e:
            raise self._claimed(e) from e

    @staticmethod
    def _claimed(e: ClaimedByOther) -> ReviewError:
        return ReviewError(f"Berkas sedang dikerjakan oleh {e.claim.username} sampai "
                           f"{wib(e.claim.expires_at, '%H:%M')}.", status=409)

    # ---- decisions -----------------------------------------------------------------------------

    def decision(self, dossier_id: str) -> dict | None:
        """The dossier's latest decision (the shape the pages and the audit trail show), or None."""
        with self.db.read() as s:
            row = latest_decision(s, dossier_id)
            return row.to_json() if row is not None else None

    def decide(self, account: Account, dossier_id: str, decision: str, *, reason: str | None = None,
               documents: list[str] | None = None, overrides: dict[str, str] | None = None,
               grounds: list[str] | None = None, confirmed: bool = False) -> dict:
        """Approve (MS), reject (TMS) or ask for documents (with the list).

        MS is refused while documents are missing; over checks in `fail` or `review` it needs a reason per
        overridden check (`overrides`: check id -> reason) and is then recorded as an override. MS and TMS
        need `confirmed` (the confirmation page's box): one click never decides. TMS needs a reason and
        may name its grounds (`grounds`: ids of the dossier's failing or doubtful checks)."""
        result, area = self.authorize(account, dossier_id)
        if decision not in DECISIONS:
            raise ReviewError("Keputusan tidak dikenal.")
        reason = (reason or "").strip()[:500]
        documents = [d for d in (documents or []) if d]
        problems = {c.id: c for c in result.checks if c.status != CheckStatus.PASS}
        override_list: list[dict] = []
        ground_list: list[dict] = []
        if decision in ("MS", "TMS") and not confirmed:
            raise ReviewError("Keputusan belum dikonfirmasi. Buka halaman konfirmasi lalu centang konfirmasinya.")
        if decision == "MS":
            if result.missing_documents:
                names = ", ".join(DOC_NAMES.get(d.value, d.value) for d in result.missing_documents)
                raise ReviewError(f"MS tidak dapat diberikan: dokumen belum lengkap ({names}). "
                                  "Minta dokumen yang kurang terlebih dahulu.", status=409)
            given = {k: " ".join(str(v).split())[:300] for k, v in (overrides or {}).items()}
            lacking = [c for cid, c in problems.items() if not given.get(cid)]
            if lacking:
                raise ReviewError("Tuliskan alasan untuk setiap pemeriksaan yang dikesampingkan ("
                                  f"{len(lacking)} belum diisi).")
            override_list = [{"check": cid, "status": c.status.value, "reason_code": c.reason,
                              "message": c.message, "reason": given[cid]} for cid, c in problems.items()]
        if decision == "TMS":
            if not reason:
                raise ReviewError("Tuliskan alasan penolakan (TMS).")
            ground_list = [{"check": cid, "status": problems[cid].status.value,
                            "reason_code": problems[cid].reason, "message": problems[cid].message}
                           for cid in dict.fromkeys(grounds or []) if cid in problems]
        if decision == "DOCS_REQUESTED" and not documents:
            raise ReviewError("Pilih dokumen yang diminta.")
        at = datetime.now(UTC).isoformat(timespec="seconds")
        override = bool(override_list)
        body = {"dossier_id": dossier_id, "decision": decision, "reason": reason or None,
                "documents": documents, "by": account.username, "role": account.role.value, "at": at,
                "result_processed_at": result.processed_at, "result_status": result.status.value,
                "override": override, "overrides": override_list, "grounds": ground_list}
        # one transaction: the claim is taken (or found to be another's: nothing is written), the decision
        # row added and the claim dropped
        try:
            with self.db.write() as s:
                self.claims.take(s, dossier_id, account.username)
                row = latest_decision(s, dossier_id)
                before = row.to_json() if row is not None else None
                s.add(DecisionRow(**body))
                record_decision(s, dossier_id, decision, result.processed_at)
                self.claims.drop(s, dossier_id, account.username)
        except ClaimedByOther as e:
            raise self._claimed(e) from e
        action = {"MS": "approve", "TMS": "reject", "DOCS_REQUESTED": "request_documents"}[decision]
        audit.append(self.store, dossier_id, action, account.username, account.role.value,
                     before=before and {k: before.get(k) for k in ("decision", "reason", "documents", "by")},
                     after={"decision": decision, "reason": reason or None, "documents": documents,
                            "override": override, "overrides": override_list, "grounds": ground_list},
                     result_status=result.status.value)
        self._record_for_reports(area, dossier_id, decision, at, override=override)
        log.info("dossier %s: %s by %s%s", dossier_id, decision, account.username,
                 f" over {len(override_list)} check(s)" if override else "")
        return body

    def _record_for_reports(self, area: keys.AreaCodes, dossier_id: str, decision: str, at: str, *,
                            override: bool = False) -> None:
        """The nightly report counts reviewed dossiers from the summary rows (approvals over checks apart)."""
        from pipeline.reports.summary import record_review

        review = {"MS": "approved", "TMS": "rejected", "DOCS_REQUESTED": "documents_requested"}[decision]
        try:
            record_review(self.store, area, dossier_id, review, at=at, override=override)
        except ObjectNotFound:
            log.warning("dossier %s: no summary row to record the decision on", dossier_id)

    # ---- corrections ---------------------------------------------------------------------------

    def correct(self, account: Account, dossier_id: str, doc_index: int, field: str, value: str) -> DossierResult:
        """Set a field to what the verifier reads, re-run the checks (no OCR) and publish the new result.

        The correction is also recorded on its own (`pipeline.corrections`), so it outlives a re-processing
        of the dossier from its scans; the result marks the value as the verifier's (`corrected`)."""
        result, _area = self.authorize(account, dossier_id)
        if not 0 <= doc_index < len(result.documents):
            raise ReviewError("Dokumen tidak ada.")
        doc = result.documents[doc_index]
        if field not in FIELDS_BY_TYPE.get(doc.type, ()):
            raise ReviewError("Isian ini tidak ada pada jenis dokumen tersebut.")
        new_value = normalise_value(field, value)
        self._take(account, dossier_id)
        before = doc.fields.get(field)
        # recorded apart from the result first, so a re-processing from the scans applies it again
        record_key, provenance = corrections.record(self.store, dossier_id, doc, field, new_value,
                                                    by=account.username, role=account.role.value, before=before)
        # put on the result stored now and published by compare-and-swap (again on a newer one when a worker
        # publishes first); what the machine read stays the machine's reading, not a previous correction
        new = corrections.publish_correction(self.store, self.runtime, dossier_id, doc=doc, field_name=field,
                                             value=new_value, provenance=provenance, recheck=self.recheck)
        audit.append(self.store, dossier_id, "correct", account.username, account.role.value,
                     before={"value": before, "status": result.status.value},
                     after={"value": new_value, "status": new.status.value},
                     document=doc_index, document_type=doc.type.value, file=doc.file, page=doc.page,
                     sha256=doc.sha256, field=field, corrected_by=account.username, correction=record_key)
        return new

    # ---- document type by hand ---------------------------------------------------------------------

    def set_page_type(self, account: Account, dossier_id: str, doc_index: int, doc_type: str) -> dict:
        """Say what a page is: every later reading reads it as `doc_type` (pipeline.page_types), and the
        dossier is queued to be read again now, so its checks run on the page's new reading."""
        result, _area = self.authorize(account, dossier_id)
        if not 0 <= doc_index < len(result.documents):
            raise ReviewError("Halaman tidak ada.")
        try:
            new_type = DocType(doc_type)
        except ValueError as e:
            raise ReviewError("Jenis dokumen tidak dikenal.") from e
        if new_type == DocType.UNKNOWN:
            raise ReviewError("Pilih jenis dokumennya (KTP-el, ijazah atau surat keterangan sehat).")
        doc = result.documents[doc_index]
        if not doc.sha256:
            raise ReviewError("Halaman ini tidak dapat dibaca ulang (file aslinya tidak dikenal).")
        self._take(account, dossier_id)
        page_types.set_type(self.store, dossier_id, sha256=doc.sha256, page=doc.page, file=doc.file,
                            doc_type=new_type, by=account.username, role=account.role.value)
        version = manifest.version_of(self._manifest(dossier_id))
        job = self.enqueue(dossier_id, version) if self.enqueue is not None else None
        audit.append(self.store, dossier_id, "set_page_type", account.username, account.role.value,
                     before={"type": doc.type.value}, after={"type": new_type.value}, file=doc.file,
                     page=doc.page, sha256=doc.sha256, reprocess=("queued" if job else "pending"), job_id=job)
        return {"type": new_type.value, "queued": bool(job), "job_id": job}

    def pending_types(self, dossier_id: str, result: DossierResult) -> dict[int, str]:
        """document index -> the type a verifier set that the current result does not show yet."""
        typed = page_types.load(self.store, dossier_id)
        return {i: typed[(d.sha256, d.page)].value for i, d in enumerate(result.documents)
                if d.sha256 and (d.sha256, d.page) in typed and typed[(d.sha256, d.page)] != d.type}

    # ---- uploads -------------------------------------------------------------------------------

    def _manifest(self, dossier_id: str) -> dict:
        try:
            return self.store.get_json(keys.manifest_key(dossier_id))
        except ObjectNotFound:
            return {"dossier_id": dossier_id, "files": []}

    def upload(self, account: Account, dossier_id: str, filename: str, data: bytes) -> dict:
        """Store a new scan as an original, add it to the manifest and ask for re-processing."""
        self.authorize(account, dossier_id)
        name = keys.safe_filename(filename or "")
        ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
        if ext not in UPLOAD_TYPES:
            raise ReviewError("Jenis file tidak didukung (gunakan JPEG, PNG, TIFF atau PDF).")
        if not data:
            raise ReviewError("File kosong.")
        if len(data) > self.settings.limits.max_file_bytes:
            raise ReviewError("File melebihi batas ukuran.", status=413)
        self._take(account, dossier_id)
        sha = hashlib.sha256(data).hexdigest()
        # the bytes first, then the manifest by compare-and-swap: parallel uploads never drop each other
        self.store.put_if_absent(manifest.upload_key(dossier_id, sha, filename), data, content_type=UPLOAD_TYPES[ext])
        listed = manifest.add_upload(self.store, dossier_id, filename=filename, sha256=sha, size=len(data),
                                     content_type=UPLOAD_TYPES[ext], by=account.username)
        entry = listed.entry
        job = self.enqueue(dossier_id, listed.version) if self.enqueue is not None else None
        audit.append(self.store, dossier_id, "upload", account.username, account.role.value,
                     after={"file": entry["name"], "sha256": sha, "size": len(data)},
                     reprocess=("queued" if job else "pending"), job_id=job)
        return {**entry, "queued": bool(job), "job_id": job}


def normalise_value(field: str, value: str) -> str:
    """A corrected value in the contract's canonical form: ISO dates, upper-case text, NIK digits."""
    value = " ".join((value or "").split())
    if not value:
        raise ReviewError("Isian tidak boleh kosong.")
    if len(value) > 200:
        raise ReviewError("Isian terlalu panjang.")
    if field == "nik" or field == "nisn":
        digits = re.sub(r"\D", "", value)
        if field == "nik" and len(digits) != 16:
            raise ReviewError("NIK harus 16 angka.")
        return digits
    if field in _DATE_FIELDS and not (field == "berlaku_hingga" and value.upper() == "SEUMUR HIDUP"):
        m = re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", value)
        try:
            d = date(int(m[3]), int(m[2]), int(m[1])) if m else date.fromisoformat(value)
        except ValueError as e:
            raise ReviewError("Tanggal harus seperti 19-08-2002 atau 2002-08-19.") from e
        return d.isoformat()
    return value.upper()


__all__ = ["ReviewService", "ReviewError", "OutOfArea", "NotFound", "DossierView", "DECISIONS", "DocType"]

"""Start-up self-check: is everything this process needs there, and is it what Berkas was built with?

Every entry point asks for the items it needs before it takes work (`require(settings, "run")` etc.), and
`berkas doctor` lists them all. Each item is one small function returning an `Item`: ok with what was found
(a version, a checksum), or missing with one line saying what is missing and how to install it (the Debian
package, the pip extra, the variable to set). A process that lacks one of its items stops with those lines
(`SelfCheckFailed`): no reader runs with fewer resources than it was built with.

Items (name: what it checks):
    tesseract       the tesseract program and its language data (BERKAS_OCR_LANG, `ind`), version
    nik_templates   the NIK reader's digit templates shipped as package data, sha256 against the manifest
    neural_models   the neural engine's model files, sha256 (when BERKAS_OCR_NEURAL is not `off`)
    rules           the requirements file: valid, its version and sha256
    data            the region tables and the message catalogue shipped in config/
    store           the object store: reachable, bucket present, writable (a probe object written, read and
                    deleted)
    review_db       the review app's database (accounts, sessions, claims, decisions): reachable and its schema
                    at the newest migration (`berkas review migrate`)
    redis           Redis answers (distributed commands: worker, ingest, status, scheduler)
    secrets         the NIK-index key (and the review app's session key) are not defaults, outside dev mode
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from config.settings import Settings
from pipeline.errors import BerkasError, ConfigError, EngineMissing, StorageError

log = logging.getLogger(__name__)

PROBE_PREFIX = "health/probe-"


class SelfCheckFailed(ConfigError):
    """One or more items an entry point needs are missing or broken; `items` holds them all."""

    code = "SELF_CHECK_FAILED"
    message_id = "Pemeriksaan awal gagal: ada komponen yang tidak terpasang atau rusak."

    def __init__(self, what: str, items: list[Item]) -> None:
        self.items = items
        if len(items) == 1:  # one line, as every other refusal to start
            (i,) = items
            super().__init__(f"{what} tidak dijalankan: {i.name}: {i.detail} (periksa semuanya: berkas doctor)")
            return
        lines = "\n".join(f"  {i.name}: {i.detail}" for i in items)
        super().__init__(f"{what} tidak dijalankan; yang kurang:\n{lines}\n(periksa semuanya: berkas doctor)")


@dataclass(frozen=True)
class Item:
    name: str
    ok: bool
    detail: str  # ok: what was found; not ok: what is missing and how to install it
    skipped: bool = False  # not needed with these settings (e.g. the neural engine turned off)


@dataclass
class CheckContext:
    """What the checks look at. `review_secret` is the review app's session key when the review app starts."""

    settings: Settings
    review_secret: Any = None
    check_review_secret: bool = False
    review_db_url: str | None = None  # the review database; None: BERKAS_REVIEW_DATABASE_URL or its default


Check = Callable[[CheckContext], Item]


def _missing(name: str, e: BerkasError | Exception) -> Item:
    detail = getattr(e, "detail", "") or str(e)
    return Item(name, False, detail)


def check_tesseract(ctx: CheckContext) -> Item:
    from pipeline.ocr.factory import check_tesseract as tesseract_version

    s = ctx.settings
    try:
        version = tesseract_version(lang=s.ocr_lang, tessdata=s.tessdata)
    except EngineMissing as e:
        return _missing("tesseract", e)
    return Item("tesseract", True, f"tesseract {version}, data bahasa {s.ocr_lang}")


def check_nik_templates(ctx: CheckContext) -> Item:
    from pipeline.reading.ktp import nik_templates as nt

    try:
        temps = nt.load_templates(nt.TEMPLATES_FILE, nt.CHECKSUM_FILE)
    except EngineMissing as e:
        return _missing("nik_templates", e)
    n = sum(len(v) for v in temps.values())
    return Item("nik_templates", True, f"{n} templat, sha256 {nt.expected_sha256(nt.CHECKSUM_FILE)[:12]}")


def check_neural_models(ctx: CheckContext) -> Item:
    if ctx.settings.ocr_neural == "off":
        return Item("neural_models", True, "mesin neural dimatikan (BERKAS_OCR_NEURAL=off)", skipped=True)
    from pipeline.ocr.neural import check_models

    try:
        files = check_models(verify=True)
    except EngineMissing as e:
        return _missing("neural_models", e)
    return Item("neural_models", True, ", ".join(f"{m.role} {m.path.name} sha256 {m.sha256[:12]}" for m in files))


def check_data(ctx: CheckContext) -> Item:
    """The data files shipped with Berkas that the checks need: the region tables and the message catalogue."""
    import yaml

    from pipeline.checks.messages import load_catalogue
    from pipeline.regions import Regions

    try:
        regions = Regions.load()
        load_catalogue()
    except (OSError, ValueError, ConfigError, yaml.YAMLError) as e:
        return Item("data", False, f"tabel wilayah atau katalog pesan tidak terbaca ({_reason(e)}); pasang ulang "
                    "Berkas (config/wilayah, config/messages.yaml ikut paket)")
    return Item("data", True, f"tabel wilayah ({len(regions.names)} kode), katalog pesan")


def rules_digest(path: os.PathLike[str] | str) -> str:
    """Full sha256 hex digest of the requirements file's bytes."""
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_rules(ctx: CheckContext) -> Item:
    from config.rules import load_rules

    path = ctx.settings.rules_file
    try:
        rules = load_rules(path)
        digest = rules_digest(path)
    except ConfigError as e:
        return Item("rules", False, f"{e.detail}; perbaiki file itu atau setel BERKAS_RULES_FILE")
    except OSError as e:
        return Item("rules", False, f"file persyaratan {path} tidak terbaca ({e.strerror}); setel BERKAS_RULES_FILE")
    return Item("rules", True, f"{path.name} versi {rules.version}, sha256 {digest[:12]}")


def check_store(ctx: CheckContext) -> Item:
    from pipeline.storage import open_store

    s = ctx.settings
    where = f"s3://{s.s3_bucket} di {s.s3_endpoint}" if s.store == "s3" else str(s.store_path)
    hint = ("periksa BERKAS_S3_ENDPOINT, kunci akses dan apakah MinIO/S3 berjalan" if s.store == "s3"
            else "periksa BERKAS_STORE_PATH dan hak tulis foldernya")
    try:
        store = open_store(s)  # S3: creates the bucket when it is absent
        client = getattr(store, "client", None)
        if client is not None and not client.bucket_exists(s.s3_bucket):
            return Item("store", False, f"bucket {s.s3_bucket} tidak ada dan tidak dapat dibuat; {hint}")
        key = f"{PROBE_PREFIX}{socket.gethostname()}-{os.getpid()}.json"
        store.put_json(key, {"probe": True})
        if store.get_json(key) != {"probe": True}:
            return Item("store", False, f"penyimpanan {where} tidak mengembalikan yang ditulis; {hint}")
        store.delete(key)
    except (StorageError, OSError, ValueError, _sdk_error()) as e:
        return Item("store", False, f"penyimpanan {where} tidak dapat dipakai ({_reason(e)}); {hint}")
    return Item("store", True, f"{where}: terjangkau, dapat ditulis")


def _sdk_error() -> type[Exception]:
    """The S3 SDK's own error base (bucket_exists raises it directly, outside the store's wrapper)."""
    try:
        from minio.error import MinioException
    except ImportError:
        return StorageError
    return MinioException


def _reason(e: BaseException) -> str:
    detail = getattr(e, "detail", None) or getattr(e, "strerror", None) or ""
    return f"{type(e).__name__}: {detail}" if detail else type(e).__name__


def check_redis(ctx: CheckContext) -> Item:
    from redis import Redis
    from redis.exceptions import RedisError

    url = ctx.settings.redis_url
    shown = url.split("@")[-1]
    try:
        conn = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        conn.ping()
        version = conn.info("server").get("redis_version", "?")
    except (RedisError, OSError, ValueError) as e:
        return Item("redis", False, f"Redis tidak dapat dihubungi di {shown} ({type(e).__name__}); periksa "
                    "BERKAS_REDIS_URL dan apakah Redis berjalan (apt-get install redis-server)")
    return Item("redis", True, f"Redis {version} di {shown}")


def check_secrets_item(ctx: CheckContext) -> Item:
    from config.settings import check_secrets

    kw: dict[str, Any] = {"review_secret": ctx.review_secret} if ctx.check_review_secret else {}
    problems = check_secrets(ctx.settings, **kw)
    if not problems:
        return Item("secrets", True, "kunci tidak bawaan")
    text = "; ".join(str(p) for p in problems)
    if ctx.settings.dev_mode:
        return Item("secrets", True, f"mode pengembangan (BERKAS_DEV_MODE=1): {text}; hanya untuk data contoh")
    from config.settings import SECRET_HINT

    return Item("secrets", False, f"{text}; buat kunci acak dengan {SECRET_HINT}")


def check_review_db(ctx: CheckContext) -> Item:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from review.db import ReviewDB, ReviewDBError, describe
    from review.settings import ReviewSettings

    url = ctx.review_db_url or ReviewSettings().db_url(ctx.settings)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_file():
        return Item("review_db", False, f"basis data review {describe(url)} belum ada: jalankan "
                    "`berkas review migrate` (BERKAS_REVIEW_DATABASE_URL memilih basis datanya)")
    db = ReviewDB(url)
    try:
        revision = db.check_current()
    except ReviewDBError as e:
        return Item("review_db", False, str(e))
    finally:
        db.dispose()
    return Item("review_db", True, f"{describe(url)}, revisi {revision}")


CHECKS: dict[str, Check] = {
    "tesseract": check_tesseract,
    "nik_templates": check_nik_templates,
    "neural_models": check_neural_models,
    "rules": check_rules,
    "data": check_data,
    "store": check_store,
    "redis": check_redis,
    "secrets": check_secrets_item,
    "review_db": check_review_db,
}

READING = ("tesseract", "nik_templates", "neural_models")
# what each entry point needs before it takes work
NEEDS: dict[str, tuple[str, ...]] = {
    "run": (*READING, "rules", "data", "store", "secrets"),
    "worker": (*READING, "rules", "data", "store", "redis", "secrets"),
    "ingest": ("store", "redis"),
    "ingest-no-queue": ("store",),
    "review": ("rules", "data", "store", "review_db", "secrets"),
    "scheduler": ("rules", "store", "redis"),
    "report": ("rules", "store"),
    "doctor": tuple(CHECKS),
}


def run_checks(settings: Settings, names: Iterable[str] = tuple(CHECKS), *, review_secret: Any = None,
               check_review_secret: bool = False, checks: dict[str, Check] | None = None,
               review_db_url: str | None = None) -> list[Item]:
    """Every named item, in order; never raises for a missing piece (that is what the items say)."""
    table = checks or CHECKS
    ctx = CheckContext(settings, review_secret=review_secret, check_review_secret=check_review_secret,
                       review_db_url=review_db_url)
    return [table[name](ctx) for name in names]


def require(settings: Settings, what: str, *, label: str | None = None, **kw: Any) -> list[Item]:
    """The items entry point `what` needs (NEEDS); SelfCheckFailed naming every missing one. Logs what was found."""
    items = run_checks(settings, NEEDS[what], **kw)
    bad = [i for i in items if not i.ok]
    if bad:
        raise SelfCheckFailed(label or what, bad)
    for i in items:
        log.info("self-check %s: %s", i.name, i.detail)
    return items

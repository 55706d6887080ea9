"""Typed settings, read once from the environment (prefix BERKAS_) and validated at start-up.

Secrets are checked by `check_secrets` (what is wrong, for `berkas doctor`) and `require_secrets` (refuse to
start): every process that writes the NIK index or serves the review app calls the latter first.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.errors import SecretUnsafe

CONFIG_DIR = Path(__file__).resolve().parent
DEV_INDEX_SECRET = "berkas-dev-index-key-change-me"  # the default: fine for synthetic data, never for real NIKs
MIN_SECRET_CHARS = 32
MIN_SECRET_DISTINCT = 10  # distinct characters: `aaaa...` or `abab...` is not a key
# values that appear in examples and old compose files: refused whatever their length
KNOWN_WEAK_SECRETS = frozenset({DEV_INDEX_SECRET, "change-me", "change-me-too", "change-me-please", "changeme",
                                "secret", "minioadmin", "password"})
SECRET_HINT = 'python3 -c "import secrets; print(secrets.token_urlsafe(32))"'

log = logging.getLogger(__name__)


class Limits(BaseSettings):
    """Hard limits on hostile input. Each is a BERKAS_LIMIT_* variable."""

    model_config = SettingsConfigDict(env_prefix="BERKAS_LIMIT_", extra="ignore")

    max_file_bytes: int = Field(50 * 1024 * 1024, description="largest accepted scan file")
    max_pixels: int = Field(60_000_000, description="largest decoded image (width x height)")
    max_pages: int = Field(20, description="PDF pages read per file")
    decode_seconds: float = Field(30.0, description="wall time to decode one file")
    render_dpi: int = Field(200, description="DPI for rendering image-only PDF pages")
    max_files_per_dossier: int = 40


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BERKAS_", extra="ignore", env_nested_delimiter="__")

    # storage
    store: Literal["local", "s3"] = "local"
    store_path: Path = Path("var/store")
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = "minioadmin"
    s3_secret_key: SecretStr = SecretStr("minioadmin")
    s3_bucket: str = "berkas"
    s3_secure: bool = False
    s3_region: str | None = None
    # server-side encryption of every object written to S3 (docs/security.md): "sse-s3" (the server's own key),
    # "sse-kms" (a named key of the server's KMS: s3_sse_kms_key_id), "sse-c" (our key, s3_sse_c_key = base64 of
    # 32 random bytes, sent with every request, so HTTPS only); "none" leaves it to the bucket's default
    s3_sse: Literal["none", "sse-s3", "sse-kms", "sse-c"] = "none"
    s3_sse_kms_key_id: str | None = None
    s3_sse_c_key: SecretStr | None = None

    # queue
    redis_url: str = "redis://127.0.0.1:6379/0"

    # pipeline
    rules_file: Path = CONFIG_DIR / "requirements" / "kpps-2024.yaml"
    tessdata: Path | None = None
    ocr_engine: Literal["auto", "tesserocr", "pytesseract"] = "auto"
    ocr_lang: str = "ind"
    # the neural engine beside tesseract (PP-OCR on ONNX Runtime, pipeline/ocr/neural.py): "ppocr" or "off"
    ocr_neural: Literal["ppocr", "off"] = "ppocr"
    workers: int = 2
    # log output of the command line and workers: "text" for people, "json" = one object per line (pipeline/logs.py)
    log_format: Literal["text", "json"] = "text"
    # keyed hash for NIK index keys: NIKs never appear in object keys, URLs or logs
    index_secret: SecretStr = SecretStr(DEV_INDEX_SECRET)
    # development only: allows the default or a short secret (a warning instead of a refusal to start)
    dev_mode: bool = False

    # metrics (docs/operations.md): a worker serves /metrics on metrics_port (0: off) at metrics_addr; the review
    # app serves /metrics on its own port, behind `Authorization: Bearer <metrics_token>` when that is set
    metrics_port: int = Field(0, ge=0, le=65535)
    metrics_addr: str = "127.0.0.1"
    metrics_token: SecretStr | None = None

    limits: Limits = Field(default_factory=Limits)

    @model_validator(mode="after")
    def _sse_is_complete(self) -> Settings:
        if self.s3_sse == "sse-kms" and not (self.s3_sse_kms_key_id or "").strip():
            raise ValueError("BERKAS_S3_SSE=sse-kms needs BERKAS_S3_SSE_KMS_KEY_ID (the name of the KMS key)")
        if self.s3_sse == "sse-c":
            key = self.s3_sse_c_key.get_secret_value() if self.s3_sse_c_key else ""
            try:
                raw = base64.b64decode(key, validate=True)
            except ValueError:
                raw = b""
            if len(raw) != 32:
                raise ValueError("BERKAS_S3_SSE=sse-c needs BERKAS_S3_SSE_C_KEY: base64 of 32 random bytes")
            if not self.s3_secure and not self.dev_mode:
                raise ValueError("BERKAS_S3_SSE=sse-c sends the key with every request: it needs BERKAS_S3_SECURE=true")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


# ---- secrets ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretProblem:
    variable: str  # the environment variable to set, e.g. BERKAS_INDEX_SECRET
    problem: str  # what is wrong with it (Bahasa Indonesia); never the value

    def __str__(self) -> str:
        return f"{self.variable}: {self.problem}"


def _weakness(value: str | None) -> str | None:
    if not value:
        return "belum diatur"
    if value in KNOWN_WEAK_SECRETS:
        return "masih nilai bawaan/contoh yang diketahui umum"
    if len(value) < MIN_SECRET_CHARS:
        return f"terlalu pendek ({len(value)} karakter, minimal {MIN_SECRET_CHARS})"
    if len(set(value)) < MIN_SECRET_DISTINCT:
        return f"terlalu sedikit karakter berbeda (minimal {MIN_SECRET_DISTINCT})"
    return None


_UNCHECKED = object()


def check_secrets(settings: Settings, *, review_secret: SecretStr | str | None | object = _UNCHECKED
                  ) -> list[SecretProblem]:
    """What is wrong with the secrets (empty list: nothing). Always the NIK-index key (BERKAS_INDEX_SECRET);
    the review app's session key (BERKAS_REVIEW_SECRET) when `review_secret` is given (None = not set).

    Development mode does not change the answer; it only lets `require_secrets` start anyway."""
    problems: list[SecretProblem] = []
    checks: list[tuple[str, object]] = [("BERKAS_INDEX_SECRET", settings.index_secret)]
    if review_secret is not _UNCHECKED:
        checks.append(("BERKAS_REVIEW_SECRET", review_secret))
    for variable, secret in checks:
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        weakness = _weakness(value if isinstance(value, str) else None)
        if weakness:
            problems.append(SecretProblem(variable, weakness))
    return problems


def require_secrets(settings: Settings, *, what: str,
                    review_secret: SecretStr | str | None | object = _UNCHECKED) -> list[SecretProblem]:
    """Refuse to start `what` (e.g. "worker") with an unsafe secret, unless BERKAS_DEV_MODE=1.

    Raises pipeline.errors.SecretUnsafe naming each variable and what is wrong with it (never its value);
    in development mode logs a warning and returns the problems."""
    problems = check_secrets(settings, review_secret=review_secret)
    if not problems:
        return []
    text = "; ".join(str(p) for p in problems)
    if settings.dev_mode:
        log.warning("%s starts in development mode with unsafe secrets (%s): synthetic data only", what, text)
        return problems
    raise SecretUnsafe(f"{what} tidak dijalankan: {text}. Buat kunci acak dengan {SECRET_HINT}, "
                       "atau setel BERKAS_DEV_MODE=1 untuk data contoh saja")

"""Typed settings, read once from the environment (prefix BERKAS_) and validated at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

CONFIG_DIR = Path(__file__).resolve().parent


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
    index_secret: SecretStr = SecretStr("berkas-dev-index-key-change-me")

    limits: Limits = Field(default_factory=Limits)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

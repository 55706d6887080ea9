"""Settings of the review web app (BERKAS_REVIEW_*), beside the pipeline's `config.settings.Settings`."""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.settings import Settings


class ReviewSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BERKAS_REVIEW_", extra="ignore")

    # signs the session cookie; a random one per process when unset (sessions end at restart)
    secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    cookie_secure: bool = Field(True, description="send the session cookie over HTTPS only")
    # a PPS office server on a LAN without HTTPS: cookies without `Secure` (browsers drop Secure cookies set over
    # plain HTTP, so login could never work there); warned about at start-up and on the login page
    plain_http: bool = False
    # the review database (review/db.py): SQLAlchemy URL, e.g. postgresql+psycopg://berkas@db/berkas_review;
    # unset: a SQLite file beside a local store (var/store -> var/store.review.sqlite3), var/ for an S3 store
    database_url: str | None = None
    session_hours: float = 8.0
    use_queue: bool = Field(False, description="queue uploads for the RQ workers (distributed mode)")
    claim_minutes: int = 30
    page_size: int = 50
    image_max_side: int = 1600
    image_cache_items: int = 48
    # login throttle (review/throttle.py, docs/security.md "Sign-in"), failures counted over the window:
    login_attempts: int = Field(5, ge=1)  # of one user name from one address: that pair is refused
    login_window_minutes: int = Field(15, ge=1)
    login_address_attempts: int = Field(30, ge=1)  # from one address, any names: the address is refused
    login_name_free: int = Field(10, ge=1)  # of one name, all addresses: past it each attempt waits 2, 4, 8 ... s
    login_name_max_delay_seconds: float = Field(60.0, ge=1)  # ... never longer than this
    login_unknown_attempts: int = Field(100, ge=1)  # with unknown names, everywhere: failed addresses are refused
    # request bodies (docs/security.md "Limits"): checked on Content-Length and counted while streaming,
    # before any form is parsed; the upload route defaults to Limits.max_file_bytes + 64 KiB of envelope
    max_login_bytes: int = Field(8 * 1024, ge=1024)
    max_form_bytes: int = Field(64 * 1024, ge=1024)
    max_upload_bytes: int | None = Field(None, ge=1024)
    # argon2 password hashing (64 MiB each with the defaults): at most `hash_slots` at once, at most
    # `hash_queue` more waiting up to `hash_wait_seconds`; any further login is answered 503 at once
    hash_slots: int = Field(2, ge=1)
    hash_queue: int = Field(4, ge=0)
    hash_wait_seconds: float = Field(3.0, ge=0)

    def db_url(self, settings: Settings) -> str:
        """The review database's URL: the setting, or the embedded SQLite default beside the store."""
        from review.db import default_url

        return self.database_url or default_url(settings.store, settings.store_path)

    @property
    def secure_cookies(self) -> bool:
        """Whether the session cookie is marked `Secure` (HTTPS only)."""
        return self.cookie_secure and not self.plain_http

"""Settings of the review web app (BERKAS_REVIEW_*), beside the pipeline's `config.settings.Settings`."""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReviewSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BERKAS_REVIEW_", extra="ignore")

    # signs the session cookie; a random one per process when unset (sessions end at restart)
    secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    cookie_secure: bool = Field(True, description="send the session cookie over HTTPS only")
    session_hours: float = 8.0
    use_queue: bool = Field(False, description="queue uploads for the RQ workers (distributed mode)")
    claim_minutes: int = 30
    page_size: int = 50
    image_max_side: int = 1600
    image_cache_items: int = 48
    login_attempts: int = 5  # failed logins per username per window before refusing
    login_window_minutes: int = 15

"""Typed settings: environment variables with the PITSTOP_ prefix, or a TOML config file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# Accepted only in development: anyone could forge tokens signed with it.
PLACEHOLDER_JWT_SECRET = "change-me-development-only"
MIN_JWT_SECRET_LENGTH = 32  # HS256 wants at least 256 bits of key


def _config_file() -> Path:
    return Path(os.environ.get("PITSTOP_CONFIG", "pitstop.toml"))


class Settings(BaseSettings):
    """Every setting of every part. Unset URLs mean: start the embedded service."""

    model_config = SettingsConfigDict(env_prefix="PITSTOP_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="postgresql:// URL; unset starts embedded PostgreSQL"
    )
    mqtt_url: str | None = Field(
        default=None, description="mqtt://[user:pass@]host:port; unset starts a local broker"
    )
    home: Path = Field(
        default=Path.home() / ".pitstop",
        description="Where embedded services and edge buffers keep their files",
    )
    ingest_group: str = Field(default="ingest", description="MQTT shared-subscription group")
    ingest_client_id: str = Field(default="pitstop-ingest-1", description="Persistent session id")
    ingest_max_batch_rows: int = 5000
    ingest_max_batch_age_ms: int = 200
    ingest_metrics_port: int = Field(default=9108, description="0 disables /metrics")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    environment: Literal["development", "test", "production"] = "development"
    jwt_secret: SecretStr = Field(
        default=SecretStr(PLACEHOLDER_JWT_SECRET), description="HS256 key that signs API tokens"
    )
    access_token_minutes: int = Field(default=15, gt=0)
    refresh_token_days: int = Field(default=7, gt=0)
    smtp_url: str | None = Field(
        default=None, description="smtp://[user:pass@]host:port or smtps://...; unset: no email"
    )
    mail_from: str = Field(default="Pitstop <noreply@pitstop.local>", description="Email sender")
    vapid_private_key: SecretStr | None = Field(
        default=None,
        description="Web Push VAPID key (base64url raw P-256); unset in development: generated "
        "once under home",
    )
    vapid_public_key: str | None = Field(default=None, description="Derived when unset")
    vapid_subject: str = Field(
        default="mailto:service@pitstop.local", description="VAPID contact (mailto: or https:)"
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Where customers reach the API and console"
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        secret = self.jwt_secret.get_secret_value()
        weak = secret == PLACEHOLDER_JWT_SECRET or len(secret) < MIN_JWT_SECRET_LENGTH
        if weak and self.environment != "development":
            raise ValueError(
                f"PITSTOP_JWT_SECRET is the placeholder or shorter than {MIN_JWT_SECRET_LENGTH} "
                f"characters, which is refused in {self.environment}; set a random one, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import time)."""
    return Settings()

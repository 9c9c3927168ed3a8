"""Typed settings: environment variables with the PITSTOP_ prefix, or a TOML config file."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
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

from core.setting_sources import DEFAULT_HOME, ENV_PREFIX, config_file

# Refused everywhere: anyone could forge tokens signed with a published key.
PLACEHOLDER_JWT_SECRET = "change-me-development-only"
MIN_JWT_SECRET_LENGTH = 32  # HS256 wants at least 256 bits of key
DEV_JWT_SECRET_FILE = "jwt-secret"  # under home: development's random key when none is set


class Settings(BaseSettings):
    """Every setting of every part. Unset URLs mean: start the embedded service."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    database_url: str | None = Field(
        default=None, description="postgresql:// URL; unset starts embedded PostgreSQL"
    )
    database_read_url: str | None = Field(
        default=None,
        description="postgresql:// URL of a read replica for the API's read-heavy routes "
        "(telemetry, KPIs, forecasts); unset: they read the primary",
    )
    mqtt_url: str | None = Field(
        default=None,
        description="mqtt://[user:pass@]host:port, or mqtts://…:8883?ca=/path/ca.pem for TLS; "
        "unset starts a local broker",
    )
    home: Path = Field(
        default=DEFAULT_HOME,
        description="Where embedded services and edge buffers keep their files",
    )
    ingest_group: str = Field(default="ingest", description="MQTT shared-subscription group")
    ingest_client_id: str = Field(default="pitstop-ingest-1", description="Persistent session id")
    ingest_max_batch_rows: int = 5000
    ingest_max_batch_age_ms: int = 200
    ingest_metrics_port: int = Field(default=9108, description="0 disables /metrics")
    ingest_source: Literal["mqtt", "jetstream", "rabbitmq"] = Field(
        default="mqtt",
        description="mqtt: shared subscriptions; jetstream: a NATS cluster; rabbitmq: a "
        "RabbitMQ cluster's quorum queue over AMQP",
    )
    nats_urls: str = Field(
        default="",
        description="Comma-separated nats:// URLs of the cluster (ingest_source, events_source)",
    )
    amqp_urls: str = Field(
        default="",
        description="Comma-separated amqp:// URLs of the RabbitMQ cluster's nodes "
        "(ingest_source, events_source)",
    )
    events_source: Literal["postgres", "jetstream", "rabbitmq"] = Field(
        default="postgres",
        description="How alert and feed events wake workers and streams: postgres (LISTEN/NOTIFY), "
        "jetstream (a stream on the NATS cluster at nats_urls) or rabbitmq (an exchange on the "
        "RabbitMQ cluster at amqp_urls)",
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    environment: Literal["development", "test", "production"] = "development"
    jwt_secret: SecretStr | None = Field(
        default=None,
        description="HS256 key that signs API tokens; unset in development: a random key "
        "created once under home",
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

    max_body_bytes: int = Field(
        default=1024 * 1024, gt=0, description="Larger request bodies are refused with 413"
    )
    login_max_failures: int = Field(
        default=5, gt=0, description="Wrong passwords per account before it is locked"
    )
    login_max_failures_per_address: int = Field(
        default=20, gt=0, description="Wrong passwords from one client address before it is locked"
    )
    login_lockout_minutes: int = Field(default=15, gt=0)
    login_concurrent_hashes: int = Field(
        default=1, gt=0, description="Password checks running at once (the rest wait or get 429)"
    )
    stream_max_per_user: int = Field(default=3, gt=0, description="Open event streams per user")
    stream_recheck_seconds: float = Field(
        default=30.0, gt=0, description="How often an event stream re-checks its token"
    )
    push_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="host:port Web Push endpoints allowed despite http or a private address "
        "(tests only)",
    )

    @model_validator(mode="after")
    def _refuse_weak_secret(self) -> Settings:
        how = "set a random one, e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        if self.jwt_secret is None:
            if self.environment != "development":
                raise ValueError(f"PITSTOP_JWT_SECRET is not set, which is refused in "
                                 f"{self.environment}; {how}")  # fmt: skip
            return self
        secret = self.jwt_secret.get_secret_value()
        if secret == PLACEHOLDER_JWT_SECRET:
            raise ValueError(f"PITSTOP_JWT_SECRET is the published placeholder; {how}")
        if len(secret) < MIN_JWT_SECRET_LENGTH and self.environment != "development":
            raise ValueError(
                f"PITSTOP_JWT_SECRET is shorter than {MIN_JWT_SECRET_LENGTH} characters, which "
                f"is refused in {self.environment}; {how}"
            )
        return self

    def signing_key(self) -> str:
        """The HS256 key: the configured secret, or development's random key under home."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return stored_secret(self.home / DEV_JWT_SECRET_FILE, lambda: secrets.token_urlsafe(48))

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return (init_settings, env_settings, toml)


def stored_secret(path: Path, make: Callable[[], str]) -> str:
    """A development secret kept in a file, made on first use (processes racing agree)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
        with os.fdopen(fd, "w") as file:
            file.write(make() + "\n")
        try:
            os.link(temp, path)  # atomic; the loser of a race uses the winner's key
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import time)."""
    return Settings()

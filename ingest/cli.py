"""`pitstop ingest`: run one ingest process until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import typer

from core.settings import get_settings

log = logging.getLogger(__name__)


def ingest(
    client_id: str = typer.Option(
        None, help="MQTT client id (persistent session); default PITSTOP_INGEST_CLIENT_ID"
    ),
    metrics_port: int = typer.Option(
        None, help="Port for /metrics, 0 = off; default PITSTOP_INGEST_METRICS_PORT"
    ),
) -> None:
    """Subscribe to the cars' telemetry, DTC and status messages and write them to PostgreSQL."""
    from core.db.embedded import resolve_database_url
    from ingest.service import Ingest, IngestConfig

    settings = get_settings()
    if not settings.mqtt_url:
        raise typer.BadParameter(
            "no broker configured: set PITSTOP_MQTT_URL (e.g. mqtt://127.0.0.1:1883) or "
            "mqtt_url in pitstop.toml; `pitstop demo` starts a local broker for you",
            param_hint="PITSTOP_MQTT_URL",
        )
    config = IngestConfig.from_settings(
        settings, database_url=resolve_database_url(), mqtt_url=settings.mqtt_url
    )
    overrides: dict[str, str | int] = {}
    if client_id:
        overrides["client_id"] = client_id
    if metrics_port is not None:
        overrides["metrics_port"] = metrics_port
    if overrides:
        config = IngestConfig(**{**config.__dict__, **overrides})
    service = Ingest(config)

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: flushing the last batch and stopping", signum)
        service.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    service.run()

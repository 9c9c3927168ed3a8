"""`pitstop ingest`: run one ingest process until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import typer

from core.settings import get_settings

log = logging.getLogger(__name__)
SOURCES = ("mqtt", "jetstream", "rabbitmq")


def ingest(
    client_id: str = typer.Option(
        None, help="MQTT client id (persistent session); default PITSTOP_INGEST_CLIENT_ID"
    ),
    metrics_port: int = typer.Option(
        None, help="Port for /metrics, 0 = off; default PITSTOP_INGEST_METRICS_PORT"
    ),
    source: str = typer.Option(
        None,
        help="mqtt (shared subscriptions), jetstream (a NATS cluster's durable consumer) or "
        "rabbitmq (a RabbitMQ cluster's quorum queue); default PITSTOP_INGEST_SOURCE",
    ),
    leave_on_stop: bool = typer.Option(
        False,
        help="MQTT: on SIGTERM leave the shared group and end the session, so a scale-down "
        "strands nothing; keep it off on the group's first member, which must keep its session",
    ),
) -> None:
    """Subscribe to the cars' telemetry, DTC and status messages and write them to PostgreSQL."""
    from core.db.embedded import resolve_database_url
    from ingest.service import Ingest, IngestConfig

    settings = get_settings()
    source = source or settings.ingest_source
    if source not in SOURCES:
        raise typer.BadParameter(
            f"unknown source {source!r}; use one of {', '.join(SOURCES)}", param_hint="--source"
        )
    if source == "mqtt" and not settings.mqtt_url:
        raise typer.BadParameter(
            "no broker configured: set PITSTOP_MQTT_URL (e.g. mqtt://127.0.0.1:1883) or "
            "mqtt_url in pitstop.toml; `pitstop demo` starts a local broker for you",
            param_hint="PITSTOP_MQTT_URL",
        )
    if source == "jetstream" and not settings.nats_urls:
        raise typer.BadParameter(
            "no NATS cluster configured: set PITSTOP_NATS_URLS to its nodes' URLs, e.g. "
            "nats://10.0.0.1:4222,nats://10.0.0.2:4222,nats://10.0.0.3:4222",
            param_hint="PITSTOP_NATS_URLS",
        )
    if source == "rabbitmq":
        from core.amqp import parse_urls

        try:
            parse_urls(settings.amqp_urls)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="PITSTOP_AMQP_URLS") from exc
    config = IngestConfig.from_settings(
        settings, database_url=resolve_database_url(), mqtt_url=settings.mqtt_url or ""
    )
    overrides: dict[str, str | int | bool] = {"source": source, "leave_on_stop": leave_on_stop}
    if client_id:
        overrides["client_id"] = client_id
    if metrics_port is not None:
        overrides["metrics_port"] = metrics_port
    config = IngestConfig(**{**config.__dict__, **overrides})
    service = Ingest(config)

    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %s: flushing the last batch and stopping", signum)
        service.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    service.run()

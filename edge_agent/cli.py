"""`pitstop edge --port PORT [--vin VIN]`: run the in-car agent until SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from core.settings import get_settings

log = logging.getLogger(__name__)


def edge(
    port: Annotated[
        str,
        typer.Option("--port", help="The ELM327: a serial device, a pty, or socket://host:port"),
    ],
    vin: Annotated[
        str | None,
        typer.Option(
            "--vin", help="The car's VIN, used when the car reports none or an invalid one"
        ),
    ] = None,
    buffer: Annotated[
        Path | None,
        typer.Option(
            "--buffer", help="The on-disk outbox; default <PITSTOP_HOME>/edge/outbox.sqlite"
        ),
    ] = None,
) -> None:
    """Read the car through an ELM327 and publish its telemetry and DTCs to the broker."""
    from edge_agent.agent import Agent
    from edge_agent.identity import NoValidVin
    from edge_agent.link import LinkError
    from edge_agent.obd_link import ObdLink

    settings = get_settings()
    if not settings.mqtt_url:
        raise typer.BadParameter(
            "no broker configured: the edge agent publishes to an MQTT broker; set "
            "PITSTOP_MQTT_URL (e.g. mqtt://broker.example.com:1883) or mqtt_url in pitstop.toml",
            param_hint="PITSTOP_MQTT_URL",
        )
    agent = Agent(
        link=ObdLink(port),
        mqtt_url=settings.mqtt_url,
        buffer_path=buffer or settings.home / "edge" / "outbox.sqlite",
        vin=vin,
    )
    try:
        agent.start()
    except NoValidVin as exc:
        raise typer.BadParameter(str(exc), param_hint="--vin") from None
    except LinkError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: flushing the outbox and stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        agent.run(stop)
    finally:
        agent.stop()


def main() -> None:
    """`pitstop-edge`: the agent alone, for a car's gateway; it imports no server part."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    typer.run(edge)

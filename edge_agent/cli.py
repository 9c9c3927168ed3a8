"""`pitstop-edge --port PORT [--vin VIN]`: run the in-car agent until SIGTERM or Ctrl-C.

This is the gateway's command. It loads the agent and nothing else: no pydantic, no typer and
no numpy, which pint (under python-OBD) would otherwise load for nothing."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from core.setting_sources import DEFAULT_HOME, setting_text

log = logging.getLogger(__name__)

PORT_HELP = "The ELM327: a serial device, a pty, or socket://host:port"
VIN_HELP = "The car's VIN, used when the car reports none or an invalid one"
BUFFER_HELP = "The on-disk outbox; default <PITSTOP_HOME>/edge/outbox.sqlite"
NO_BROKER = (
    "no broker configured: the edge agent publishes to an MQTT broker; set PITSTOP_MQTT_URL "
    "(e.g. mqtt://broker.example.com:1883, or a cluster's nodes separated by commas) or "
    "mqtt_url in pitstop.toml"
)


class CannotStart(Exception):
    """The agent cannot start; `option` names what to change, exit_code says how to exit."""

    def __init__(self, message: str, option: str | None = None, exit_code: int = 2) -> None:
        super().__init__(message)
        self.option = option
        self.exit_code = exit_code


def run(port: str, vin: str | None = None, buffer: Path | None = None) -> None:
    """Read the car through an ELM327 and publish its telemetry and DTCs to the broker."""
    from edge_agent.agent import Agent
    from edge_agent.identity import NoValidVin
    from edge_agent.link import LinkError
    from edge_agent.obd_link import ObdLink

    try:
        mqtt_url, home = setting_text("mqtt_url"), setting_text("home")
    except ValueError as exc:
        raise CannotStart(str(exc)) from None
    if not mqtt_url:
        raise CannotStart(NO_BROKER, option="PITSTOP_MQTT_URL")
    agent = Agent(
        link=ObdLink(port),
        mqtt_url=mqtt_url,
        buffer_path=buffer or Path(home or DEFAULT_HOME) / "edge" / "outbox.sqlite",
        vin=vin,
    )
    try:
        agent.start()
    except NoValidVin as exc:
        raise CannotStart(str(exc), option="--vin") from None
    except LinkError as exc:
        raise CannotStart(f"error: {exc}", exit_code=1) from None

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


def leave_out_numpy() -> None:
    """Keep numpy (about 12 MiB) out of this process: pint imports it when it is installed, and
    python-OBD's units never need it. Only for a process that is the agent alone."""
    sys.modules.setdefault("numpy", None)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> None:
    """`pitstop-edge`: the agent alone, for a car's gateway; it imports no server part."""
    parser = argparse.ArgumentParser(prog="pitstop-edge", description=run.__doc__)
    parser.add_argument("--port", required=True, help=PORT_HELP)
    parser.add_argument("--vin", help=VIN_HELP)
    parser.add_argument("--buffer", type=Path, help=BUFFER_HELP)
    args = parser.parse_args(argv)
    leave_out_numpy()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        run(args.port, args.vin, args.buffer)
    except CannotStart as exc:
        if exc.exit_code == 2:
            parser.error(f"{exc.option}: {exc}" if exc.option else str(exc))
        print(exc, file=sys.stderr)
        sys.exit(exc.exit_code)

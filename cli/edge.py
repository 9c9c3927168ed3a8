"""`pitstop edge`: the in-car agent, from the project's command (a gateway runs `pitstop-edge`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from edge_agent.cli import BUFFER_HELP, PORT_HELP, VIN_HELP, CannotStart, run


def edge(
    port: Annotated[str, typer.Option("--port", help=PORT_HELP)],
    vin: Annotated[str | None, typer.Option("--vin", help=VIN_HELP)] = None,
    buffer: Annotated[Path | None, typer.Option("--buffer", help=BUFFER_HELP)] = None,
) -> None:
    """Read the car through an ELM327 and publish its telemetry and DTCs to the broker."""
    try:
        run(port, vin, buffer)
    except CannotStart as exc:
        if exc.exit_code == 2:
            raise typer.BadParameter(str(exc), param_hint=exc.option) from None
        typer.echo(str(exc), err=True)
        raise typer.Exit(exc.exit_code) from None

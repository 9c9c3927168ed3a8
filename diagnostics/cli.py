"""`pitstop diagnostics`: plain, it runs the scoring service; subcommands manage the models.

`train`, `evaluate`, `record` and `fleet-capture` are the lab's commands
(diagnostics.lab.commands), offered here so that they sit next to the service. Each imports
its part only when it runs.
"""

from __future__ import annotations

import logging
import signal

import typer

from diagnostics.lab.commands import (
    evaluate_command,
    fleet_capture_command,
    record_command,
    train_command,
)

log = logging.getLogger(__name__)

diagnostics_app = typer.Typer(
    help="Diagnostics: score cars as telemetry arrives, and manage the models.",
    invoke_without_command=True,
)
diagnostics_app.command("train")(train_command)
diagnostics_app.command("evaluate")(evaluate_command)
diagnostics_app.command("record")(record_command)
diagnostics_app.command("fleet-capture")(fleet_capture_command)


@diagnostics_app.callback()
def diagnostics(
    ctx: typer.Context,
    poll_s: float = typer.Option(None, help="Seconds between polls when no NOTIFY arrives"),
    workers: int = typer.Option(None, help="Scoring processes; default: CPU count"),
) -> None:
    """Run the scoring service until SIGTERM or Ctrl-C (when no subcommand is given)."""
    if ctx.invoked_subcommand is not None:
        return
    from core.db.embedded import resolve_database_url
    from diagnostics.service import DiagnosticsService, ServiceConfig

    config = ServiceConfig(database_url=resolve_database_url())
    if poll_s is not None:
        config.poll_s = poll_s
    if workers is not None:
        config.workers = workers
    service = DiagnosticsService(config)

    def stop(signum, frame) -> None:
        log.info("signal %s: saving features and stopping", signum)
        service.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    service.run()

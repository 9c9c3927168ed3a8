"""`pitstop db`: the schema (upgrade, downgrade) and the storage jobs (check, maintain)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from core.storage import JobStatus

db_app = typer.Typer(help="Database schema and storage maintenance.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads", help="Alembic revision")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from core.db.embedded import resolve_database_url
    from core.db.migrate import upgrade

    upgrade(resolve_database_url(), revision)
    typer.echo(f"database upgraded to {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Alembic revision, or 'base'")) -> None:
    """Revert migrations down to REVISION."""
    from core.db.embedded import resolve_database_url
    from core.db.migrate import downgrade

    downgrade(resolve_database_url(), revision)
    typer.echo(f"database downgraded to {revision}")


@db_app.command("check")
def db_check(
    as_json: bool = typer.Option(False, "--json", help="One JSON document, for machines."),
) -> None:
    """Each storage job's last success; exit 1 when any is overdue or its last run failed."""
    from core import storage
    from core.db import connect
    from core.db.embedded import resolve_database_url

    with connect(resolve_database_url(), autocommit=True) as conn:
        try:
            path = storage.storage_path(conn)
            statuses = storage.check(conn)
        except storage.StorageNotMigrated as exc:
            raise typer.BadParameter(str(exc)) from None
    healthy = all(s.healthy for s in statuses)
    if as_json:
        document = {"path": path, "healthy": healthy, "jobs": [s.as_json() for s in statuses]}
        typer.echo(json.dumps(document, indent=2))
    else:
        typer.echo(f"storage path: {path}")
        for s in statuses:
            typer.echo(_line(s))
        typer.echo("all storage jobs healthy" if healthy else "storage needs attention")
    if not healthy:
        raise typer.Exit(1)


@db_app.command("maintain")
def db_maintain(
    job: Annotated[
        list[str] | None, typer.Option("--job", help="Run this job (repeatable); default: all.")
    ] = None,
    needed: bool = typer.Option(
        False, "--needed", help="Run only the jobs the worker's fallback would run now."
    ),
) -> None:
    """Run storage maintenance now and record it (what the worker does on its own)."""
    from core import storage
    from core.db import connect
    from core.db.embedded import resolve_database_url

    url = resolve_database_url()
    try:
        if needed:
            results = storage.run_needed(url, runner="pitstop db maintain")
        else:
            if not job:
                with connect(url) as conn:
                    job = [j.name for j in storage.JOBS[storage.storage_path(conn)]]
            results = [storage.run_job(url, name, runner="pitstop db maintain") for name in job]
    except (storage.StorageNotMigrated, ValueError) as exc:
        raise typer.BadParameter(str(exc)) from None
    for result in results:
        typer.echo(f"{result.job}: {'ok' if result.ok else 'FAILED'} {result.detail}")
    if not results:
        typer.echo("no storage job needed running")
    if not all(r.ok for r in results):
        raise typer.Exit(1)


def _line(s: JobStatus) -> str:
    """One job of `pitstop db check` as a line of text."""
    state = "OVERDUE" if s.overdue else "ok"
    if s.failing:
        state += f", last run FAILED: {s.last_error}"
    when = f"{s.last_success:%Y-%m-%d %H:%M:%S%z}" if s.last_success else "never"
    line = (
        f"  {s.job:<17} every {_span(s.interval):<6} by {s.owner:<11} "
        f"last success {when:<24} {state}"
    )
    return f"{line} ({s.note})" if s.note else line


def _span(interval: dt.timedelta) -> str:
    """A short interval: 15m, 12h, 1d."""
    seconds = int(interval.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"

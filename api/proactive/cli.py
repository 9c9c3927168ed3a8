"""`pitstop worker`: the proactive loop (alert reactions, notifications, reminders, comebacks)."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

log = logging.getLogger(__name__)
REPORT_HELP = "A report from `pitstop diagnostics evaluate --json` (default: the active model's)"


def worker(
    threads: int = typer.Option(4, min=1, max=64, help="Alert reactor threads."),
) -> None:
    """React to alerts, send due notifications, close delivered jobs, remind due services."""
    from api.proactive.worker import Worker, WorkerConfig
    from core.db.embedded import resolve_database_url
    from core.db.migrate import upgrade
    from core.settings import get_settings

    url = resolve_database_url()
    upgrade(url)
    settings = get_settings().model_copy(update={"database_url": url})
    loop = Worker(settings, WorkerConfig(threads=threads))
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: loop.stop.set())
    log.info("proactive worker running with %d reactor threads", threads)
    loop.run()
    log.info("proactive worker stopped")


def wrong_kits(
    store: str = typer.Option(
        ..., help="Store code whose catalogue and labour rate price the kits"
    ),
    report: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help=REPORT_HELP),
    ] = None,
) -> None:
    """What the wrong-mode alerts of an evaluation would have booked, at one store's prices."""
    from rich.console import Console
    from rich.table import Table
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from api.auth.models import Store
    from api.db import make_engine
    from api.proactive.kits import wrong_kits as price_wrong_kits
    from core.db.embedded import resolve_database_url

    url = resolve_database_url()
    confusion = _confusion(report, url)
    with Session(make_engine(url)) as session:
        found = session.scalar(select(Store).where(Store.code == store))
        if found is None:
            codes = ", ".join(session.scalars(select(Store.code).order_by(Store.code)))
            raise typer.BadParameter(f"no store {store!r}; the stores are: {codes or 'none'}")
        rows = price_wrong_kits(
            session, store_id=found.id, group_id=found.dealer_group_id, confusion=confusion
        )
    console = Console()
    if not rows:
        console.print("no wrong-mode alerts in this report: no kit was booked for the wrong mode")
        return
    table = Table("true mode", "booked as", "alerts", "parts ¥", "hours", "labour ¥", "total ¥")
    for row in rows:
        each = row.each
        table.add_row(row.true_mode, row.booked_mode, str(row.alerts), f"{each.parts:.2f}",
                      f"{each.hours:.1f}", f"{each.labour:.2f}", f"{row.total:.2f}")  # fmt: skip
    console.print(table)
    alerts = sum(r.alerts for r in rows)
    console.print(
        f"wrong_kits={alerts} booked_value={sum(r.total for r in rows):.2f} "
        f"parts_value={sum(r.each.parts * r.alerts for r in rows):.2f} at {store}",
        highlight=False,
    )


def _confusion(report: Path | None, url: str) -> dict:
    """The confusion table of a JSON report, or of the active model's stored evaluation."""
    import json

    from core.db import connect
    from diagnostics import registry
    from diagnostics.learned.inputs import MODEL_NAME

    if report is not None:
        try:
            data = json.loads(report.read_text())
        except (ValueError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(
                f"{report} is not JSON ({exc}); write it with `pitstop diagnostics evaluate --json`"
            ) from None
    else:
        with connect(url) as conn:
            try:
                data = registry.load_model(conn, MODEL_NAME, None)[0].metrics
            except registry.RegistryError as exc:
                raise typer.BadParameter(f"{exc}; run `pitstop diagnostics train` first") from None
    confusion = data.get("confusion") if isinstance(data, dict) else None
    if not isinstance(confusion, dict) or not all(
        isinstance(found, dict) and all(isinstance(n, int) for n in found.values())
        for found in confusion.values()
    ):
        raise typer.BadParameter(
            "the report has no confusion table (true mode -> named mode -> alerts); evaluate "
            "a fleet with faults (`pitstop diagnostics evaluate --json`), not a healthy soak"
        )
    return confusion

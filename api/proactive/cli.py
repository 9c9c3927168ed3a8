"""`pitstop worker`: the proactive loop (alert reactions, notifications, reminders, comebacks)."""

from __future__ import annotations

import logging
import signal

import typer

log = logging.getLogger(__name__)


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

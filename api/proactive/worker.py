"""`pitstop worker`: the proactive loop's process.

Reactor threads take unhandled alert events one at a time (FOR UPDATE SKIP LOCKED over
alert_events, so any number of threads or processes share the work and nothing is missed);
a listener on NOTIFY 'pitstop_alerts' wakes them at once, and a poll catches what a missed
NOTIFY would have. With events_source=jetstream the listener subscribes to the events stream
instead, and a relay thread here fills that stream (api.event_stream). A housekeeping thread
sends due notifications, closes delivered jobs (comeback watch, training labels), writes service
reminders, refreshes the KPI rollups, looks for business alarms in them, and makes the day's
forecasts (in a thread of their own).
A storage thread runs the telemetry storage jobs that fell behind (core.storage).
SIGTERM stops the loops after the event in hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api.alarms.detection import run_alarms
from api.alarms.mail import send_alarm_emails
from api.db import make_engine, make_session_factory
from api.kpis import rollup
from api.models_base import load_all_models
from api.notifications.dispatch import dispatch_due
from api.proactive import closing, feed, flows, reminders
from core import storage
from core.settings import Settings
from diagnostics.alerts import CHANNEL as ALERT_CHANNEL

if TYPE_CHECKING:
    from api.event_stream import EventRelay

log = logging.getLogger(__name__)

POLL_S = 1.0  # reactors re-check the table this often even without a NOTIFY
DISPATCH_S = 2.0  # notifications due are sent this often
CLOSING_S = 30.0  # delivered jobs are closed (watch, training label) this often
REMINDERS_S = 3600.0  # service reminders are computed this often
KPI_ROLLUP_S = 300.0  # the KPI rollups catch up this often (the day's figures within minutes)
ALARMS_S = 3600.0  # business alarms are looked for this often, on the refreshed rollups
FORECASTS_S = 86_400.0  # sales, parts and churn forecasts are made again this often
STORAGE_S = 60.0  # storage jobs are checked this often; one behind is run here (core.storage)
RETRIES = 5  # a deadlock between racing bookings is retried this often
STOP_CHECK_S = 0.5  # the stream listener notices stop this soon
OVERLAP_IDS = 10_000  # a diagnostics transaction committing late may hold lower event ids
MAX_OUTCOME = 200
REACTED_KINDS = ("created", "severity_raised", "cleared")

_CLAIM = text(f"""
SELECT e.id, e.alert_id, e.vin, e.failure_mode, e.kind, e.severity FROM alert_events e
WHERE e.id > :floor AND e.kind IN {REACTED_KINDS}
  AND NOT EXISTS (SELECT 1 FROM proactive_handled_events h WHERE h.alert_event_id = e.id)
ORDER BY e.id LIMIT 1 FOR UPDATE OF e SKIP LOCKED""")
# The event's mark, taken once it is locked: the key, not the claim's snapshot, decides who
# handles it. A mark another transaction holds makes this one wait for it, then do nothing.
_MARK = text("""INSERT INTO proactive_handled_events (alert_event_id, outcome)
VALUES (:id, 'handling') ON CONFLICT (alert_event_id) DO NOTHING RETURNING alert_event_id""")
_OUTCOME = text("""UPDATE proactive_handled_events
SET outcome = :outcome, proposal_id = :proposal, handled_at = clock_timestamp()
WHERE alert_event_id = :id""")
_ALERT = text("""SELECT id, vin, failure_mode, severity, state, explanation, probability
FROM alerts WHERE id = :id""")


@dataclass
class WorkerConfig:
    """How the worker runs; tests shorten the intervals."""

    threads: int = 4
    poll_s: float = POLL_S
    dispatch_s: float = DISPATCH_S
    closing_s: float = CLOSING_S
    reminders_s: float = REMINDERS_S
    kpi_rollup_s: float = KPI_ROLLUP_S
    alarms_s: float = ALARMS_S
    forecasts_s: float | None = FORECASTS_S  # None: this worker makes no forecasts
    storage_s: float | None = STORAGE_S  # None: this worker leaves storage jobs alone


def handle_next(
    session_factory: Callable[[], Session], settings: Settings, floor: int = 0
) -> int | None:
    """React to the oldest unhandled alert event; its id, or None when there is none."""
    conflicts = 0
    while True:
        with session_factory() as session:
            try:
                row = session.execute(_CLAIM, {"floor": floor}).mappings().first()
                if row is None:
                    session.rollback()
                    return None
                if session.execute(_MARK, {"id": row["id"]}).first() is None:
                    session.rollback()  # handled already: a repeat is a no-op
                    continue
                event = dict(row)
                alert = dict(session.execute(_ALERT, {"id": event["alert_id"]}).mappings().one())
                outcome = _react(session, settings, event, alert)
                session.execute(
                    _OUTCOME,
                    {
                        "id": event["id"],
                        "outcome": outcome.what[:MAX_OUTCOME],
                        "proposal": outcome.proposal_id,
                    },
                )
                session.commit()
                return event["id"]
            except OperationalError:
                session.rollback()
                conflicts += 1
                if conflicts == RETRIES:
                    raise
                log.warning("retrying an alert event after a lock conflict", exc_info=True)


def _react(session: Session, settings: Settings, event: dict, alert: dict) -> flows.Outcome:
    try:
        with session.begin_nested():
            return flows.react(session, settings, event=event, alert=alert)
    except OperationalError:
        raise
    except Exception as error:  # one bad event is recorded and skipped, never stops the loop
        log.exception("alert event %s failed", event["id"])
        return flows.Outcome(f"failed: {type(error).__name__}: {error}")


def drain(session_factory: Callable[[], Session], settings: Settings) -> int:
    """Handle every unhandled alert event now; returns how many (tests and the benchmark)."""
    handled, floor = 0, 0
    while (event_id := handle_next(session_factory, settings, floor)) is not None:
        handled += 1
        floor = max(floor, event_id - OVERLAP_IDS)
    return handled


class Worker:
    """The loop's threads over one engine; run() until stop is set."""

    def __init__(self, settings: Settings, config: WorkerConfig | None = None) -> None:
        if not settings.database_url:
            raise ValueError("the worker needs settings.database_url")
        load_all_models()
        self.settings = settings
        self.config = config or WorkerConfig()
        self.engine = make_engine(settings.database_url)
        self.session_factory = make_session_factory(self.engine)
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.floor = 0
        self.relay: EventRelay | None = None
        if settings.events_source != "postgres":
            from api import event_stream  # a broker's client: only on the clustered path

            self.relay = event_stream.relay_for(settings)

    def run(self) -> None:
        """Run the listener, reactors and housekeeping until stop is set, then clean up."""
        threads = [threading.Thread(target=self._listen, name="listen", daemon=True)]
        if self.relay is not None:
            relay = threading.Thread(
                target=self.relay.run, args=(self.stop,), name="relay", daemon=True
            )
            threads.append(relay)
        threads += [
            threading.Thread(target=self._react_loop, name=f"react-{i}", daemon=True)
            for i in range(self.config.threads)
        ]
        threads.append(threading.Thread(target=self._housekeeping, name="housekeeping"))
        # Forecasting takes minutes: its own thread, so notifications never wait for it.
        if self.config.forecasts_s is not None:
            forecasting = threading.Thread(target=self._forecasting, name="forecasts", daemon=True)
            threads.append(forecasting)
        if self.config.storage_s is not None:  # a REFRESH may take minutes, like forecasting
            threads.append(threading.Thread(target=self._storage, name="storage", daemon=True))
        for thread in threads:
            thread.start()
        try:
            while not self.stop.is_set():
                self.stop.wait(0.5)
        finally:
            self.wake.set()
            for thread in threads:
                thread.join(timeout=30)
            self.engine.dispose()

    def _listen(self) -> None:
        if self.settings.events_source != "postgres":
            asyncio.run(self._watch_stream())
            return
        while not self.stop.is_set():
            try:
                with psycopg.connect(self.settings.database_url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {ALERT_CHANNEL}")
                    self.wake.set()  # catch up on what arrived while not listening
                    while not self.stop.is_set():
                        for _ in conn.notifies(timeout=self.config.poll_s, stop_after=1):
                            self.wake.set()
            except psycopg.Error:
                log.warning("alert listener lost its connection; reconnecting", exc_info=True)
                self.stop.wait(self.config.poll_s)

    async def _watch_stream(self) -> None:
        from api import event_stream

        watch = event_stream.watcher_for(self.settings, "alert")
        watching = asyncio.create_task(watch(self.wake.set))
        while not self.stop.is_set() and not watching.done():
            await asyncio.sleep(STOP_CHECK_S)
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching

    def _react_loop(self) -> None:
        while not self.stop.is_set():
            try:
                while not self.stop.is_set():
                    event_id = handle_next(self.session_factory, self.settings, self.floor)
                    if event_id is None:
                        break
                    self.floor = max(self.floor, event_id - OVERLAP_IDS)
            except Exception:
                log.exception("alert reaction failed; retrying after a pause")
                self.stop.wait(self.config.poll_s)
            self.wake.wait(self.config.poll_s)
            self.wake.clear()

    def _housekeeping(self) -> None:
        self._every([
            (self.config.dispatch_s, self._dispatch),
            (self.config.closing_s, self._close),
            (self.config.reminders_s, self._remind),
            (self.config.kpi_rollup_s, self._roll_up),
            (self.config.alarms_s, self._alarms),
        ])  # fmt: skip

    def _forecasting(self) -> None:
        self._every([(self.config.forecasts_s or FORECASTS_S, self._forecast)])

    def _storage(self) -> None:
        self._every([(self.config.storage_s or STORAGE_S, self._maintain_storage)])

    def _every(self, jobs: list[tuple[float, Callable[[], None]]]) -> None:
        """Run each job at start, then every `every` seconds, until stop is set."""
        last = [-math.inf] * len(jobs)
        while not self.stop.is_set():
            for i, (every, job) in enumerate(jobs):
                if time.monotonic() - last[i] >= every:
                    last[i] = time.monotonic()
                    try:
                        job()
                    except Exception:
                        log.exception("%s failed; it runs again next round", job.__name__)
            self.stop.wait(min(every for every, _ in jobs))

    def _dispatch(self) -> None:
        dispatch_due(self.session_factory, settings=self.settings)
        with self.session_factory() as session, session.begin():
            feed.report_failed_deliveries(session)

    def _close(self) -> None:
        with self.session_factory() as session, session.begin():
            closing.close_delivered(session)

    def _remind(self) -> None:
        with self.session_factory() as session, session.begin():
            reminders.run_reminders(session)

    def _roll_up(self) -> None:
        with self.session_factory() as session, session.begin():
            rollup.refresh(session)

    def _alarms(self) -> None:
        with self.session_factory() as session, session.begin():
            run_alarms(session)
        send_alarm_emails(self.session_factory, settings=self.settings)

    def _maintain_storage(self) -> None:
        storage.run_needed(self.settings.database_url or "", runner="worker")

    def _forecast(self) -> None:
        from api.forecasts.service import run_all  # pandas and statsforecast: loaded when due

        with self.session_factory() as session, session.begin():
            run_all(session)

"""When each reading is due: every PID at its own period, DTC polls, DTC reports and status."""

from __future__ import annotations

from core import wire
from core.signals import BY_NAME
from edge_agent.link import DtcReading

DTC_POLL_S = 10.0  # how often the DTCs are read (a report is sent when they change, or per period)


def ms(seconds: float) -> int:
    """Seconds as a period in milliseconds (at least 1)."""
    return max(1, round(seconds * 1000))


class Schedule:
    """The next due time of each reading under one vehicle config."""

    def __init__(self, config: wire.VehicleConfig):
        self.config = config
        self.next_status = 0
        self._next_due: dict[str, int] = {}
        self.next_dtc_poll = 0
        self._next_dtc_publish = 0
        self._last_dtc: wire.DtcReport | None = None

    def restart(self, now: int, config: wire.VehicleConfig | None = None) -> None:
        """Everything due now (after a start, a new config, or the car coming back)."""
        self.config = config or self.config
        self._next_due = {name: now for name in self.config.signals}
        self.next_dtc_poll = now
        self._next_dtc_publish = now
        self.next_status = min(self.next_status, now) if self.next_status else now

    def due_signals(self, now: int) -> list[str]:
        """The signals to read now; each one's next time moves on by its period."""
        due_now = []
        for name, period in self.config.signals.items():
            due = self._next_due.get(name, now)
            if due > now:
                continue
            step = ms(period)
            self._next_due[name] = due + step if due + step > now else now + step
            due_now.append(name)
        return due_now

    def dtc_poll_due(self, now: int) -> bool:
        """True when the DTCs should be read now; the next poll is then scheduled."""
        if now < self.next_dtc_poll:
            return False
        self.next_dtc_poll = now + ms(min(DTC_POLL_S, self.config.dtc_period_s))
        return True

    def dtc_report(self, now: int, reading: DtcReading) -> wire.DtcReport | None:
        """The report to send for a reading: when the codes changed, or the period is up."""
        report = _dtc_report(now, reading)
        changed = self._last_dtc is None or _dtc_key(report) != _dtc_key(self._last_dtc)
        if not (changed or now >= self._next_dtc_publish):
            return None
        self._last_dtc = report
        self._next_dtc_publish = now + ms(self.config.dtc_period_s)
        return report

    def status_due(self, now: int) -> bool:
        """True when a status report is due now; the next one is then scheduled."""
        if now < self.next_status:
            return False
        self.status_sent(now)
        return True

    def status_sent(self, now: int) -> None:
        """A status went out at now: the next is one period later."""
        self.next_status = now + ms(self.config.status_period_s)


def _dtc_report(now: int, reading: DtcReading) -> wire.DtcReport:
    frame = None
    if reading.freeze_frame and reading.freeze_frame_dtc:
        values = {k: v for k, v in reading.freeze_frame.items() if k in BY_NAME}
        frame = wire.FreezeFrame(dtc=reading.freeze_frame_dtc, values=values)
    return wire.DtcReport(
        ts=now, stored=list(reading.stored), pending=list(reading.pending), mil=reading.mil,
        freeze_frame=frame,
    )  # fmt: skip


def _dtc_key(report: wire.DtcReport) -> tuple[tuple[str, ...], tuple[str, ...], bool | None]:
    return (tuple(report.stored), tuple(report.pending), report.mil)

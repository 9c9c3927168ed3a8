"""Trouble-code memory of the engine computer: pending, then stored, with a freeze frame.

Two-trip logic as OBD-II uses it: a failed monitor makes the code pending (mode 07); failing
again in the next drive cycle stores it (mode 03), lights the MIL and records the freeze frame
(mode 02) of the moment it was stored.
"""

from __future__ import annotations

from collections.abc import Callable


class DtcMemory:
    def __init__(self) -> None:
        self.stored: list[str] = []
        self.freeze_frame: dict[str, float] | None = None
        self.freeze_frame_dtc: str | None = None
        self._this_trip: set[str] = set()
        self._last_trip: set[str] = set()

    @property
    def pending(self) -> list[str]:
        """Codes that failed in this or the last drive cycle (mode 07)."""
        return sorted(self._this_trip | self._last_trip)

    @property
    def mil(self) -> bool:
        return bool(self.stored)

    def report(self, codes: list[str], snapshot: Callable[[], dict[str, float]]) -> None:
        """Record failed monitors; store a code failed in two consecutive drive cycles."""
        for code in codes:
            if code in self._last_trip and code not in self.stored:
                self.stored.append(code)
                if self.freeze_frame is None:  # the first stored code owns the frame
                    self.freeze_frame = snapshot()
                    self.freeze_frame_dtc = code
            self._this_trip.add(code)

    def end_drive_cycle(self) -> None:
        """The engine stopped: this trip's failures become last trip's."""
        self._last_trip = self._this_trip
        self._this_trip = set()

    def clear(self) -> None:
        """Mode 04: forget codes and the freeze frame (the monitors will find real faults again)."""
        self.__init__()

"""The agent's view of a car. python-OBD over an ELM327 and the simulators both provide it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class LinkError(ConnectionError):
    """The adapter or the car stopped answering; the agent reconnects with backoff."""


@dataclass(frozen=True)
class AdapterInfo:
    adapter: str  # e.g. "ELM327 v1.5"
    protocol: str  # e.g. "ISO 15765-4 (CAN 11/500)"


@dataclass
class DtcReading:
    stored: list[str] = field(default_factory=list)  # mode 03
    pending: list[str] = field(default_factory=list)  # mode 07
    mil: bool | None = None
    freeze_frame: dict[str, float] | None = None  # mode 02 values, signal name -> value
    freeze_frame_dtc: str | None = None


class VehicleLink(Protocol):
    """What the edge agent needs from a car."""

    def connect(self) -> AdapterInfo:
        """Open the link; raise LinkError when the adapter or the car does not answer."""

    def close(self) -> None:
        """Release the port."""

    def read_vin(self) -> str | None:
        """The VIN the car reports over mode 09, or None when it reports none."""

    def supported_signals(self) -> set[str]:
        """Catalogue signal names the car answers."""

    def read(self, signal: str) -> float | None:
        """One value in the catalogue unit; None when the car gave no answer this time."""

    def read_dtcs(self) -> DtcReading:
        """Stored and pending trouble codes, and the freeze frame where there is one."""

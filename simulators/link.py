"""SimLink: the edge agent's VehicleLink over an in-process simulated car.

The agent cannot tell it from python-OBD over an ELM327, apart from the adapter name. For
robustness tests it can be made to behave like a cheap clone: some reads go unanswered and
the link drops now and then, until the agent connects again.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from edge_agent.link import AdapterInfo, DtcReading, LinkError
from simulators.car import Car

ADAPTER_NAME = "Pitstop simulated ECU"
PROTOCOL_NAME = "ISO 15765-4 (CAN 11/500)"
ADAPTER_SIGNAL = "ELM_VOLTAGE"  # measured by the adapter itself, answered with the engine off


@dataclass(frozen=True)
class Flakiness:
    """How badly the simulated adapter behaves; all zero is a perfect link."""

    no_answer: float = 0.0  # probability that one read gets no answer
    drop: float = 0.0  # probability per request that the link drops until reconnected
    connect_failure: float = 0.0  # probability that connect() fails
    seed: int = 0


class SimLink:
    """A VehicleLink answered by a Car object in this process."""

    def __init__(
        self,
        car: Car,
        *,
        flakiness: Flakiness | None = None,
        report_vin: bool = True,
        answer_when_parked: bool = True,
        lock: threading.Lock | None = None,
    ):
        self.car = car
        self.flakiness = flakiness or Flakiness()
        self.report_vin = report_vin
        self.answer_when_parked = answer_when_parked
        self.lock = lock or threading.Lock()
        self.connected = False
        self.drops = 0
        self._rng = random.Random(self.flakiness.seed)
        self._cache_ms: int | None = None
        self._cache: dict[str, float] = {}

    def connect(self) -> AdapterInfo:
        """Open the link; LinkError when the simulated adapter refuses."""
        if self._rng.random() < self.flakiness.connect_failure:
            raise LinkError("simulated adapter did not answer ATZ; check the flakiness settings")
        self.connected = True
        return AdapterInfo(adapter=ADAPTER_NAME, protocol=PROTOCOL_NAME)

    def close(self) -> None:
        """Release the simulated port."""
        self.connected = False

    def read_vin(self) -> str | None:
        """The car's VIN (mode 09 02), or None when this car is set to report none."""
        self._request()
        return self.car.vin if self.report_vin else None

    def supported_signals(self) -> set[str]:
        """Catalogue signals the simulated car answers."""
        self._request()
        with self.lock:
            return set(self.car.values())

    def read(self, signal: str) -> float | None:
        """One value in the catalogue unit; None for no answer or an unsupported signal."""
        self._request()
        if self._rng.random() < self.flakiness.no_answer:
            return None
        with self.lock:
            if not self.car.running and not self.answer_when_parked and signal != ADAPTER_SIGNAL:
                return None
            if self._cache_ms != self.car.now_ms:
                self._cache = self.car.values()
                self._cache_ms = self.car.now_ms
            return self._cache.get(signal)

    def read_dtcs(self) -> DtcReading:
        """Stored and pending codes, MIL and freeze frame of the simulated engine computer."""
        self._request()
        with self.lock:
            ecu = self.car.ecu
            return DtcReading(
                stored=list(ecu.stored),
                pending=ecu.pending,
                mil=ecu.mil,
                freeze_frame=dict(ecu.freeze_frame) if ecu.freeze_frame else None,
                freeze_frame_dtc=ecu.freeze_frame_dtc,
            )

    def _request(self) -> None:
        if not self.connected:
            raise LinkError("simulated link is not connected; call connect() first")
        if self._rng.random() < self.flakiness.drop:
            self.connected = False
            self.drops += 1
            raise LinkError("simulated link dropped (injected flakiness)")

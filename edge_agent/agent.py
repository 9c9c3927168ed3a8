"""The edge agent: read a car through a VehicleLink, buffer on disk, publish over MQTT.

One thread drives the agent (tick, or run). The MQTT session (edge_agent.uplink) only
queues what paho's thread hears (acknowledgements, connects, config messages), and tick
applies it. So the outbox, the schedule and the link are only touched by the driving thread.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal, cast

from core import wire
from core.broker import parse_brokers
from core.signals import out_of_range
from edge_agent import config as cfg
from edge_agent.buffer import MAX_ENTRIES, SAMPLE, Buffer, leading_samples
from edge_agent.identity import NoValidVin, resolve_vin
from edge_agent.link import AdapterInfo, LinkError, VehicleLink
from edge_agent.schedule import Schedule, ms
from edge_agent.uplink import MAX_INFLIGHT, Uplink

log = logging.getLogger(__name__)

AGENT_VERSION = "0.1.0"
# Link (re)connection: a few tries at start, then run() keeps trying with growing pauses.
LINK_START_ATTEMPTS = 4
LINK_BACKOFF_MIN_S = 0.5
LINK_BACKOFF_MAX_S = 30.0
# MQTT 5 PUBACK "no matching subscribers": the broker took the message, and nobody will read
# it (after a restart, Mosquitto forgets shared subscriptions until the ingest subscribes
# again). Such a message stays in the outbox and is sent again after this pause.
NO_MATCHING_SUBSCRIBERS = 0x10
NO_SUBSCRIBER_PAUSE_S = 1.0
# A telemetry message stays well under the wire limit however many samples are batched.
MAX_BATCH_BYTES = wire.MAX_PAYLOAD_BYTES // 2
# DTCs are polled this often (at most) so that a new code is published within this time.
# stop() waits this long for the outbox to drain before it says goodbye.
STOP_FLUSH_S = 3.0
# run() sleeps at most this long between ticks, so acknowledgements are applied promptly.
RUN_IDLE_S = 0.05


class Agent:
    """One car's edge agent."""

    def __init__(
        self,
        *,
        link: VehicleLink,
        mqtt_url: str,
        buffer_path: Path,
        vin: str | None = None,
        config: wire.VehicleConfig | None = None,
        clock: Callable[[], int] = wire.now_ms,
        client_id: str | None = None,
        buffer_max_entries: int = MAX_ENTRIES,
    ):
        self.link = link
        self.brokers = parse_brokers(mqtt_url)  # a cluster's nodes: the next when one fails
        self.buffer_path = Path(buffer_path)
        self.configured_vin = vin
        self.config = config or cfg.default_config()
        if problem := cfg.config_problem(self.config):
            raise ValueError(f"invalid vehicle config: {problem}")
        self.clock = clock
        self.client_id = client_id
        self.buffer_max_entries = buffer_max_entries
        self.vin = ""
        self.vin_source: Literal["ecu", "configured"] = "ecu"
        self.note: str | None = None
        self.adapter: AdapterInfo | None = None
        self.supported: set[str] = set()
        self.buffer: Buffer | None = None
        self.uplink: Uplink | None = None
        self._lock = threading.RLock()
        self._connected = False
        self._link_up = False
        self._link_retry_at = 0.0
        self._link_backoff = LINK_BACKOFF_MIN_S
        self.schedule = Schedule(self.config)
        self._sent_upto = 0  # highest outbox id handed to paho since the last (re)connect
        self._inflight: dict[int, tuple[int, int, bool]] = {}  # mid -> first id, last id, retained
        self._publish_after = 0.0  # monotonic time; a pause after "no matching subscribers"

    # ----------------------------------------------------------------- start / stop

    def start(self) -> None:
        """Connect the link and resolve the VIN, then connect to the broker (in background)."""
        self._connect_link_with_retries()
        try:
            self._resolve_vin()
        except NoValidVin:
            self.link.close()
            raise
        self.buffer = Buffer(self.buffer_path, max_entries=self.buffer_max_entries)
        self.schedule.restart(self.clock())
        self.uplink = Uplink(
            self.brokers,
            client_id=self.client_id or f"pitstop-edge-{self.vin}",
            will_topic=wire.topic(self.vin, "status"),
            will=lambda: wire.encode(self._status("offline", "connection lost")),
            subscribe=wire.topic(self.vin, "config"),
        )
        self.uplink.connect()
        log.info("edge agent for %s started (VIN from %s)", self.vin, self.vin_source)

    def stop(self) -> None:
        """Flush briefly, publish the retained offline status, disconnect, close everything."""
        with self._lock:
            if self.uplink is None:
                return
            if not self.flush(STOP_FLUSH_S):
                log.warning("stopping with %d messages still on disk", self._depth())
            goodbye = wire.encode(self._status("offline", "agent stopped"))
            self.uplink.close(goodbye if self._connected else None, STOP_FLUSH_S)
            self.uplink = None
            self.link.close()
            self._link_up = False
            if self.buffer:
                self.buffer.close()
                self.buffer = None

    def _connect_link_with_retries(self) -> None:
        delay = LINK_BACKOFF_MIN_S
        for attempt in range(1, LINK_START_ATTEMPTS + 1):
            try:
                self._connect_link()
                return
            except LinkError as exc:
                if attempt == LINK_START_ATTEMPTS:
                    raise LinkError(f"{exc} (gave up after {attempt} attempts)") from exc
                log.warning("link: %s; retrying in %.1f s", exc, delay)
                time.sleep(delay)
                delay = min(delay * 2, LINK_BACKOFF_MAX_S)

    def _connect_link(self) -> None:
        self.adapter = self.link.connect()
        self.supported = self.link.supported_signals()
        self._link_up = True
        self._link_backoff = LINK_BACKOFF_MIN_S

    def _resolve_vin(self) -> None:
        reported = self._read_vin()
        self.vin, self.vin_source, self.note = resolve_vin(reported, self.configured_vin)
        if self.note:
            log.warning(self.note)

    def _read_vin(self) -> str | None:
        """The VIN the car reports; a link that drops meanwhile is connected again first."""
        for attempt in range(1, LINK_START_ATTEMPTS + 1):
            try:
                return self.link.read_vin()
            except LinkError as exc:
                log.warning("reading the VIN failed (attempt %d): %s", attempt, exc)
                self._link_up = False
            if attempt < LINK_START_ATTEMPTS:
                try:
                    self._connect_link_with_retries()
                except LinkError as exc:
                    log.warning("the link did not come back: %s", exc)
                    return None
        return None

    # ------------------------------------------------------------------------ MQTT

    def _apply_events(self) -> None:
        assert self.uplink is not None  # set by start() with the buffer
        for kind, value in self.uplink.events():
            if kind == "ack":
                mid, code = cast("tuple[int, int]", value)
                span = self._inflight.pop(mid, None)
                if span is None or self.buffer is None:
                    continue
                first, last, retained = span
                if code == NO_MATCHING_SUBSCRIBERS and not retained:  # a retained one is kept
                    if time.monotonic() >= self._publish_after:
                        log.info("nobody reads %s's messages yet; sending them again", self.vin)
                    self._sent_upto = min(self._sent_upto, first - 1)
                    self._publish_after = time.monotonic() + NO_SUBSCRIBER_PAUSE_S
                else:
                    self.buffer.ack(first, last)
            elif kind == "connected":
                self._connected = True
                # Whatever was in flight may be lost: send it all again from the outbox.
                self._sent_upto = 0
                self._inflight.clear()
                assert self.buffer is not None  # set by start() before the client exists
                self.buffer.drop_kind("status")  # the birth message supersedes them
                self._publish(wire.topic(self.vin, "status"), self._status_payload(), 0, 0, True)
                self.schedule.status_sent(self.clock())
                log.info("connected to %s", self.uplink.url if self.uplink else "the broker")
            elif kind == "disconnected":
                if self._connected:
                    log.warning("broker connection lost (%s); buffering on disk", value)
                self._connected = False
            elif kind == "message":
                self._apply_config(cast("bytes | bytearray", value))

    def _apply_config(self, payload: bytes | bytearray) -> None:
        try:
            config = cast(wire.VehicleConfig, wire.decode("config", payload))
        except wire.WireError as exc:
            log.warning("ignoring config message: %s (payload %r)", exc, payload[:200])
            return
        if problem := cfg.config_problem(config):
            log.warning("ignoring config version %s: %s", config.version, problem)
            return
        if config == self.config:
            return
        log.info("applying config version %s: %d signals", config.version, len(config.signals))
        self.config = config
        self.schedule.restart(self.clock(), config)

    # ------------------------------------------------------------------------ tick

    def tick(self) -> None:
        """One step at clock(): sample what is due, poll DTCs, publish what is due."""
        with self._lock:
            if self.buffer is None:
                raise RuntimeError("call start() before tick()")
            self._apply_events()
            now = self.clock()
            if self._link_up:
                self._sample(now)
            if self._link_up and self.schedule.dtc_poll_due(now):
                self._poll_dtcs(now)
            if self.schedule.status_due(now):
                self.buffer.add_event("status", now, self._status_payload(), supersede=True)
            if self._connected:
                self._publish_due(now, force=False)

    def run(self, stop: threading.Event) -> None:
        """Tick in real time until stop is set, reconnecting the link with backoff."""
        while not stop.is_set():
            self.recover_link()
            try:
                self.tick()
            except Exception:  # a bug in one step must not end the car's only agent
                log.exception("tick failed; continuing")
            stop.wait(RUN_IDLE_S)

    def flush(self, timeout: float) -> bool:
        """Publish everything buffered and wait for the acknowledgements; True when empty."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                self._apply_events()
                if self._depth() == 0:
                    return True
                if self._connected:
                    self._publish_due(self.clock(), force=True)
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    @property
    def link_up(self) -> bool:
        """True while the car answers."""
        return self._link_up

    def recover_link(self) -> bool:
        """Reconnect the car if its link is down and the backoff has passed; True when up."""
        if not self._link_up and time.monotonic() >= self._link_retry_at:
            with self._lock:
                self._retry_link()
        return self._link_up

    def _retry_link(self) -> None:
        try:
            self._connect_link()
            log.info("link to the car is back")
            self.schedule.restart(self.clock())
        except LinkError as exc:
            self._link_retry_at = time.monotonic() + self._link_backoff
            log.warning("link still down: %s; next try in %.1f s", exc, self._link_backoff)
            self._link_backoff = min(self._link_backoff * 2, LINK_BACKOFF_MAX_S)

    def _link_failed(self, exc: LinkError) -> None:
        log.warning("link lost: %s", exc)
        self._link_up = False
        self._link_retry_at = time.monotonic() + self._link_backoff
        try:
            self.link.close()
        except Exception as close_exc:  # the port is already broken; closing is best effort
            log.debug("closing the link: %s", close_exc)

    def _sample(self, now: int) -> None:
        values: dict[str, float] = {}
        for name in self.schedule.due_signals(now):
            if name not in self.supported:
                continue
            try:
                value = self.link.read(name)
            except LinkError as exc:
                self._link_failed(exc)
                break
            if value is None:
                continue
            if not math.isfinite(value) or (problem := out_of_range(name, value)):
                log.debug("skipping implausible %s=%s: %s", name, value, problem or "not finite")
                continue
            values[name] = value
        if values:
            assert self.buffer is not None  # tick() checks it
            self.buffer.add_sample(now, values)

    def _poll_dtcs(self, now: int) -> None:
        try:
            reading = self.link.read_dtcs()
        except LinkError as exc:
            self._link_failed(exc)
            return
        if report := self.schedule.dtc_report(now, reading):
            assert self.buffer is not None  # tick() checks it
            self.buffer.add_event("dtc", now, wire.encode(report))

    def _publish_due(self, now: int, *, force: bool) -> None:
        batch = self.config.batch
        if time.monotonic() < self._publish_after:
            return
        while len(self._inflight) < MAX_INFLIGHT and self._connected:
            assert self.buffer is not None  # tick() checks it; flush() returns first without one
            entries = self.buffer.pending(self._sent_upto, batch.max_samples)
            if not entries:
                return
            if entries[0].kind != SAMPLE:
                entry = entries[0]
                self._publish(wire.topic(self.vin, entry.kind), entry.payload, entry.id, entry.id,
                              entry.kind == "status")  # fmt: skip
                continue
            samples = leading_samples(entries, MAX_BATCH_BYTES)
            full = len(samples) >= batch.max_samples or len(samples) < len(entries)
            old = now - samples[0].ts >= ms(batch.max_age_s)
            if not (full or old or force):
                return
            payload = b'{"samples":[' + b",".join(e.payload for e in samples) + b"]}"
            self._publish(wire.topic(self.vin, "telemetry"), payload, samples[0].id,
                          samples[-1].id, False)  # fmt: skip

    def _publish(self, topic: str, payload: bytes, first: int, last: int, retain: bool) -> None:
        assert self.uplink is not None  # only called while connected
        mid = self.uplink.publish(topic, payload, retain=retain)
        if mid is None:
            # Not sent (the connection just dropped); the outbox still has it for later.
            self._connected = False
            return
        if last:
            self._inflight[mid] = (first, last, retain)
            self._sent_upto = max(self._sent_upto, last)

    # --------------------------------------------------------------------- status

    def _status(
        self, state: Literal["online", "offline"], reason: str | None = None
    ) -> wire.Status:
        return wire.Status(
            ts=self.clock(),
            state=state,
            reason=reason,
            agent=wire.AgentInfo(
                version=AGENT_VERSION,
                vin_source=self.vin_source,
                adapter=self.adapter.adapter if self.adapter else None,
                protocol=self.adapter.protocol if self.adapter else None,
                note=self.note,
            ),
            buffer=self.buffer.info() if self.buffer else None,
            supported=sorted(self.supported),
        )

    def _status_payload(self) -> bytes:
        reason = None if self._link_up else "no answer from the car"
        return wire.encode(self._status("online", reason))

    def _depth(self) -> int:
        return self.buffer.depth if self.buffer else 0

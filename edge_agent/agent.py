"""The edge agent: read a car through a VehicleLink, buffer on disk, publish over MQTT.

One thread drives the agent (tick, or run); paho's network thread only queues what it
receives (acknowledgements, connects, config messages), and tick applies it. So the
outbox, the schedule and the link are only touched by the driving thread.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, cast

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from core import wire
from core.broker import MqttUrl
from core.signals import BY_NAME, out_of_range
from edge_agent import config as cfg
from edge_agent.buffer import MAX_ENTRIES, SAMPLE, Buffer, Entry
from edge_agent.identity import NoValidVin, resolve_vin
from edge_agent.link import AdapterInfo, DtcReading, LinkError, VehicleLink

log = logging.getLogger(__name__)

AGENT_VERSION = "0.1.0"
# Link (re)connection: a few tries at start, then run() keeps trying with growing pauses.
LINK_START_ATTEMPTS = 4
LINK_BACKOFF_MIN_S = 0.5
LINK_BACKOFF_MAX_S = 30.0
# Broker reconnects back off between these (paho's reconnect_delay_set).
MQTT_BACKOFF_MIN_S = 1
MQTT_BACKOFF_MAX_S = 30
MQTT_KEEPALIVE_S = 30
# Messages published but not yet acknowledged; more would only queue inside paho.
MAX_INFLIGHT = 20
# A telemetry message stays well under the wire limit however many samples are batched.
MAX_BATCH_BYTES = wire.MAX_PAYLOAD_BYTES // 2
# DTCs are polled this often (at most) so that a new code is published within this time.
DTC_POLL_S = 10.0
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
        self.mqtt_url = MqttUrl.parse(mqtt_url)
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
        self.client: mqtt.Client | None = None
        self._lock = threading.RLock()
        self._events: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._connected = False
        self._link_up = False
        self._link_retry_at = 0.0
        self._link_backoff = LINK_BACKOFF_MIN_S
        self._next_due: dict[str, int] = {}
        self._next_dtc_poll = 0
        self._next_dtc_publish = 0
        self._last_dtc: wire.DtcReport | None = None
        self._next_status = 0
        self._sent_upto = 0  # highest outbox id handed to paho since the last (re)connect
        self._inflight: dict[int, tuple[int, int]] = {}  # mid -> (first id, last id)

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
        self._schedule_all(self.clock())
        self.client = self._make_client()
        self.client.connect_async(self.mqtt_url.host, self.mqtt_url.port, MQTT_KEEPALIVE_S)
        self.client.loop_start()
        log.info("edge agent for %s started (VIN from %s)", self.vin, self.vin_source)

    def stop(self) -> None:
        """Flush briefly, publish the retained offline status, disconnect, close everything."""
        with self._lock:
            if self.client is None:
                return
            if not self.flush(STOP_FLUSH_S):
                log.warning("stopping with %d messages still on disk", self._depth())
            if self._connected:
                info = self.client.publish(
                    wire.topic(self.vin, "status"),
                    wire.encode(self._status("offline", "agent stopped")),
                    qos=1,
                    retain=True,
                )
                try:
                    info.wait_for_publish(STOP_FLUSH_S)
                except (RuntimeError, ValueError) as exc:
                    log.warning("offline status not sent: %s", exc)
            self.client.disconnect()
            self.client.loop_stop()
            self.client = None
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
        try:
            reported = self.link.read_vin()
        except LinkError as exc:
            reported, self._link_up = None, False
            log.warning("reading the VIN failed: %s", exc)
        self.vin, self.vin_source, self.note = resolve_vin(reported, self.configured_vin)
        if self.note:
            log.warning(self.note)

    # ------------------------------------------------------------------------ MQTT

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id or f"pitstop-edge-{self.vin}",
            protocol=mqtt.MQTTv311,
        )
        if self.mqtt_url.username:
            client.username_pw_set(self.mqtt_url.username, self.mqtt_url.password)
        if self.mqtt_url.tls:
            client.tls_set()
        client.max_inflight_messages_set(MAX_INFLIGHT)
        client.reconnect_delay_set(MQTT_BACKOFF_MIN_S, MQTT_BACKOFF_MAX_S)
        will = self._status("offline", "connection lost")
        client.will_set(wire.topic(self.vin, "status"), wire.encode(will), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = lambda _c, _u, mid, _rc, _p: self._events.put(("ack", mid))
        client.on_message = lambda _c, _u, msg: self._events.put(("config", msg.payload))
        return client

    def _on_connect(
        self,
        client: mqtt.Client,
        _userdata: Any,
        _flags: mqtt.ConnectFlags,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        if reason_code.is_failure:
            log.warning("broker refused the connection: %s", reason_code)
            return
        client.subscribe(wire.topic(self.vin, "config"), qos=1)
        self._events.put(("connected", None))

    def _on_disconnect(
        self,
        _client: mqtt.Client,
        _userdata: Any,
        _flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        _properties: Properties | None,
    ) -> None:
        self._events.put(("disconnected", reason_code))

    def _apply_events(self) -> None:
        while True:
            try:
                kind, value = self._events.get_nowait()
            except queue.Empty:
                return
            if kind == "ack":
                span = self._inflight.pop(cast(int, value), None)
                if span and self.buffer:
                    self.buffer.ack(*span)
            elif kind == "connected":
                self._connected = True
                # Whatever was in flight may be lost: send it all again from the outbox.
                self._sent_upto = 0
                self._inflight.clear()
                assert self.buffer is not None  # set by start() before the client exists
                self.buffer.drop_kind("status")  # the birth message supersedes them
                self._publish(wire.topic(self.vin, "status"), self._status_payload(), 0, 0, True)
                self._next_status = self.clock() + self._ms(self.config.status_period_s)
                log.info("connected to %s", self.mqtt_url)
            elif kind == "disconnected":
                if self._connected:
                    log.warning("broker connection lost (%s); buffering on disk", value)
                self._connected = False
            elif kind == "config":
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
        self._schedule_all(self.clock())

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
            if self._link_up and now >= self._next_dtc_poll:
                self._poll_dtcs(now)
            if now >= self._next_status:
                self._next_status = now + self._ms(self.config.status_period_s)
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
            self._schedule_all(self.clock())
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

    def _schedule_all(self, now: int) -> None:
        self._next_due = {name: now for name in self.config.signals}
        self._next_dtc_poll = now
        self._next_dtc_publish = now
        self._next_status = min(self._next_status, now) if self._next_status else now

    def _sample(self, now: int) -> None:
        values: dict[str, float] = {}
        for name, period in self.config.signals.items():
            due = self._next_due.get(name, now)
            if due > now:
                continue
            step = self._ms(period)
            self._next_due[name] = due + step if due + step > now else now + step
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
        self._next_dtc_poll = now + self._ms(min(DTC_POLL_S, self.config.dtc_period_s))
        try:
            reading = self.link.read_dtcs()
        except LinkError as exc:
            self._link_failed(exc)
            return
        report = _dtc_report(now, reading)
        changed = self._last_dtc is None or _dtc_key(report) != _dtc_key(self._last_dtc)
        if changed or now >= self._next_dtc_publish:
            assert self.buffer is not None  # tick() checks it
            self.buffer.add_event("dtc", now, wire.encode(report))
            self._last_dtc = report
            self._next_dtc_publish = now + self._ms(self.config.dtc_period_s)

    def _publish_due(self, now: int, *, force: bool) -> None:
        batch = self.config.batch
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
            samples = _leading_samples(entries)
            full = len(samples) >= batch.max_samples or len(samples) < len(entries)
            old = now - samples[0].ts >= self._ms(batch.max_age_s)
            if not (full or old or force):
                return
            payload = b'{"samples":[' + b",".join(e.payload for e in samples) + b"]}"
            self._publish(wire.topic(self.vin, "telemetry"), payload, samples[0].id,
                          samples[-1].id, False)  # fmt: skip

    def _publish(self, topic: str, payload: bytes, first: int, last: int, retain: bool) -> None:
        assert self.client is not None  # only called while connected
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            # Not sent (the connection just dropped); the outbox still has it for later.
            self._connected = False
            return
        if last:
            self._inflight[info.mid] = (first, last)
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

    @staticmethod
    def _ms(seconds: float) -> int:
        return max(1, round(seconds * 1000))


def _leading_samples(entries: list[Entry]) -> list[Entry]:
    """The samples at the head of entries, up to the first event and the byte limit."""
    out: list[Entry] = []
    size = 0
    for entry in entries:
        if entry.kind != SAMPLE or (out and size + len(entry.payload) > MAX_BATCH_BYTES):
            break
        out.append(entry)
        size += len(entry.payload) + 1
    return out


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

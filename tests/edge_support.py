"""Shared pieces of the edge agent tests: a fake car, a subscriber, and ELM327-emulator.

The fake car stands in for a vehicle only (we cannot plug a car into CI); the broker is
always real.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from core import wire
from core.broker import MqttUrl, free_port, wait_for_port
from core.vin import with_check_digit
from edge_agent.link import AdapterInfo, DtcReading, LinkError

FAST_CONFIG = wire.VehicleConfig(
    version=1,
    signals={"RPM": 0.1, "SPEED": 0.1, "COOLANT_TEMP": 0.2},
    batch=wire.BatchConfig(max_samples=5, max_age_s=0.2),
    dtc_period_s=0.5,
    status_period_s=0.5,
)


def make_vin(serial: str) -> str:
    """A valid Chinese VIN (with its check digit) ending in the given 6 hex characters."""
    tail = "".join(c if c in "0123456789ABCDEF" else "0" for c in serial.upper())[:6]
    return with_check_digit(f"LSVAU2180N2{tail:0>6}")


class FakeCar:
    """A car that answers instantly; `down` makes it stop answering like a pulled adapter."""

    def __init__(self, vin: str | None, *, stored: list[str] | None = None):
        self.vin = vin
        self.down = False
        self.stored = stored or []
        self.reads = 0

    def connect(self) -> AdapterInfo:
        if self.down:
            raise LinkError("fake adapter unplugged")
        return AdapterInfo(adapter="fake ELM327 v1.5", protocol="fake CAN")

    def close(self) -> None:
        pass

    def read_vin(self) -> str | None:
        return self.vin

    def supported_signals(self) -> set[str]:
        return {"RPM", "SPEED", "COOLANT_TEMP", "ENGINE_LOAD", "MAF"}

    def read(self, signal: str) -> float | None:
        if self.down:
            raise LinkError("fake adapter unplugged")
        self.reads += 1
        return {"RPM": 800.0, "SPEED": 42.0, "COOLANT_TEMP": 90.0}.get(signal, 10.0)

    def read_dtcs(self) -> DtcReading:
        if self.down:
            raise LinkError("fake adapter unplugged")
        return DtcReading(stored=list(self.stored), mil=bool(self.stored))


class Subscriber:
    """A real MQTT client that records every message of one car."""

    def __init__(self, mqtt_url: str, vin: str, *, session: str | None = None):
        """session: a client id whose session the broker keeps while the broker restarts."""
        url = MqttUrl.parse(mqtt_url)
        self.messages: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=session or "",
            clean_session=session is None,
            protocol=mqtt.MQTTv311,
        )
        self.client.reconnect_delay_set(1, 2)
        self.client.on_connect = lambda c, *_: c.subscribe(f"{wire.TOPIC_ROOT}/{vin}/#", qos=1)
        self.client.on_subscribe = lambda *_: self._ready.set()
        self.client.on_message = self._on_message
        self.client.connect(url.host, url.port)
        self.client.loop_start()
        assert self._ready.wait(10), "subscriber could not subscribe"

    def _on_message(self, _client, _userdata, msg) -> None:
        with self._lock:
            self.messages.append((msg.topic.rsplit("/", 1)[1], msg.payload, msg.retain))

    def of(self, kind: str) -> list:
        """Decoded messages of one kind, in arrival order."""
        with self._lock:
            return [wire.decode(kind, p) for k, p, _ in self.messages if k == kind]

    def samples(self) -> list[wire.Sample]:
        return [s for t in self.of("telemetry") for s in t.samples]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"condition not met; got {self.messages[-5:]}"
            time.sleep(0.02)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def publish_retained(mqtt_url: str, topic: str, payload: bytes) -> None:
    """Publish one retained QoS 1 message and wait until the broker has it."""
    url = MqttUrl.parse(mqtt_url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.connect(url.host, url.port)
    client.loop_start()
    client.publish(topic, payload, qos=1, retain=True).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


def run_until(agent, condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Tick the agent in real time until condition() holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met while ticking the agent"
        agent.tick()
        time.sleep(0.01)


# ELM327-emulator, run as a child process on a TCP port with answers set for the test.
# Its "car" scenario (a Toyota) frames modes 03 and 07 without the count byte that ISO
# 15765-4 puts first, and answers 01A6 with a non-OBD header; those answers are replaced.
_EMULATOR = r"""
import json, sys
import elm.elm, elm.obd_message as m
from elm.obd_message import HD, SZ, DT, PA, ST, ECU_R_ADDR_E
port, vin, stored, pending = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
car = m.ObdMessage["car"]
def can(data):
    return HD(ECU_R_ADDR_E) + SZ("%02X" % len(data.split())) + DT(data)
def dtc_answer(sid, codes):
    codes = [c for c in codes.split(",") if c]
    return can(" ".join([sid, "%02X" % len(codes)] + [c[i:i+2] for c in codes for i in (0, 2)]))
if vin == "-":
    car["VIN"]["Response"] = ST("NO DATA")
else:
    car["VIN"]["Response"] = PA("01 " + " ".join("%02X" % ord(c) for c in vin))
for key in ("GET_DTC", "SHOW_DIAG_TC"):
    car[key].pop("ResponseFooter", None)
    car[key]["Response"] = dtc_answer("43", stored)
for key in ("GET_CURRENT_DTC", "SHOW_PENDING_TC"):
    car[key].pop("ResponseFooter", None)
    car[key]["Response"] = dtc_answer("47", pending)
m.DTC_STORED[:] = [c for c in stored.split(",") if c]  # sets the MIL in PID 01
car["ELM_PIDS_F"]["Response"] = can("41 A0 04 00 00 00")  # PID A6 supported
car["ODOMETER"]["Response"] = can("41 A6 00 01 E2 40")  # 12345.6 km
emulator = elm.elm.Elm(net_port=port, batch_mode=True)
emulator.set_sorted_obd_msg("car")
print("ready", flush=True)
emulator.run()
"""


class Emulator:
    """ELM327-emulator serving one car on socket://127.0.0.1:PORT."""

    def __init__(self, workdir: Path, *, vin: str | None, stored: str = "", pending: str = ""):
        self.port = free_port()
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = open(workdir / "emulator.log", "wb")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(
            [sys.executable, "-c", _EMULATOR, str(self.port), vin or "-", stored, pending],
            cwd=workdir,  # it writes elm.log into its working directory
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port("127.0.0.1", self.port, timeout=20)

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()

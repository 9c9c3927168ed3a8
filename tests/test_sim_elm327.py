"""python-OBD reads a simulated car served as an ELM327, over TCP and over a pty."""

from __future__ import annotations

import logging
import threading

import obd
import pytest

from core.clock import DAY_MS
from core.wire import now_ms
from edge_agent.link import LinkError
from simulators.car import Car
from simulators.elm327 import Elm327, can_frames, encode_dtc, pid_bitmask
from simulators.elm327_server import Elm327TcpServer, serve_pty
from simulators.faults import Fault
from simulators.link import Flakiness, SimLink

obd.logger.setLevel(logging.WARNING)

# Decoding tolerance of each PID: what its encoding can resolve.
RESOLUTION = {
    "RPM": 0.25, "SPEED": 0.5, "COOLANT_TEMP": 0.5, "ENGINE_LOAD": 100 / 255,
    "THROTTLE_POS": 100 / 255, "FUEL_LEVEL": 100 / 255, "SHORT_FUEL_TRIM_1": 100 / 128,
    "LONG_FUEL_TRIM_1": 100 / 128, "MAF": 0.01, "O2_B1S1": 0.005, "O2_B1S2": 0.005,
    "CONTROL_MODULE_VOLTAGE": 0.001, "INTAKE_TEMP": 0.5, "RUN_TIME": 0.5,
    "DISTANCE_SINCE_DTC_CLEAR": 0.5, "AMBIANT_AIR_TEMP": 0.5,
}  # fmt: skip


@pytest.fixture(scope="module")
def broken_car() -> Car:
    """A car driving with a stored misfire code; its clock stands still while it is read."""
    start = now_ms() - 8 * DAY_MS
    car = Car(
        start_ms=start,
        seed=4,
        profile="taxi",
        faults=[Fault("misfire", start, start + 4 * DAY_MS, cylinder=2)],
    )
    while not car.ecu.stored:
        car.advance(60)
    while not (car.running and car.speed_kmh > 10):
        car.advance(1)
    return car


def connect(port: str) -> obd.OBD:
    connection = obd.OBD(port, fast=False, timeout=2)
    assert connection.status() == obd.OBDStatus.CAR_CONNECTED
    return connection


def read_and_compare(connection: obd.OBD, car: Car) -> None:
    assert connection.query(obd.commands.VIN).value.decode() == car.vin
    values = car.values()
    for name, tolerance in RESOLUTION.items():
        response = connection.query(obd.commands[name])
        assert not response.is_null(), name
        assert response.value.magnitude == pytest.approx(values[name], abs=tolerance), name
    assert connection.query(obd.commands.ELM_VOLTAGE).value.magnitude == pytest.approx(
        values["ELM_VOLTAGE"], abs=0.05
    )


def test_python_obd_reads_vin_pids_and_dtcs_over_tcp(broken_car):
    lock = threading.Lock()
    server = Elm327TcpServer(broken_car, lock).start()
    try:
        connection = connect(f"socket://127.0.0.1:{server.port}")
        read_and_compare(connection, broken_car)
        stored = [code for code, _ in connection.query(obd.commands.GET_DTC).value]
        pending = [code for code, _ in connection.query(obd.commands.GET_CURRENT_DTC).value]
        assert stored == broken_car.ecu.stored == ["P0300", "P0302"]
        assert set(pending) == set(broken_car.ecu.pending)
        status = connection.query(obd.commands.STATUS).value
        assert status.MIL is True and status.DTC_count == 2

        frame = broken_car.ecu.freeze_frame
        assert connection.query(obd.commands.DTC_FREEZE_DTC).value[0] == "P0300"
        rpm = connection.query(obd.commands.DTC_RPM).value.magnitude
        assert rpm == pytest.approx(frame["RPM"], abs=0.25)
        assert connection.query(obd.commands.DTC_COOLANT_TEMP).value.magnitude == pytest.approx(
            frame["COOLANT_TEMP"], abs=0.5
        )
        assert obd.commands.RPM in connection.supported_commands
        assert obd.commands.FUEL_PRESSURE not in connection.supported_commands
        connection.close()
    finally:
        server.stop()


def test_python_obd_reads_over_a_pty_and_clears_codes():
    car = Car(start_ms=now_ms() - 3 * DAY_MS, seed=6, profile="taxi")
    car.advance(86_400)
    car.ecu.report(["P0420"], car.values)
    car.ecu.end_drive_cycle()
    car.ecu.report(["P0420"], car.values)
    assert car.ecu.stored == ["P0420"]
    connection = connect(serve_pty(car, threading.Lock()))
    read_and_compare(connection, car)
    assert [c for c, _ in connection.query(obd.commands.GET_DTC).value] == ["P0420"]
    connection.query(obd.commands.CLEAR_DTC)
    assert connection.query(obd.commands.GET_DTC).value == []
    assert car.ecu.stored == [] and car.values()["DISTANCE_SINCE_DTC_CLEAR"] == 0
    connection.close()


def test_interpreter_answers_like_an_elm327():
    car = Car(start_ms=now_ms(), seed=1)
    elm = Elm327(car)
    assert elm.respond("ATZ").endswith("ELM327 v1.5\r\r>")
    assert elm.respond("ATE0") == "ATE0\rOK\r\r>"  # the echo is still on for this one
    assert elm.respond("ATH1") == "OK\r\r>"
    assert elm.respond("ATDPN") == "A6\r\r>"
    assert elm.respond("AT@1").startswith("Pitstop")
    assert elm.respond("ATXYZ") == "?\r\r>"
    assert elm.respond("0150") == "NO DATA\r\r>"
    assert elm.respond("01 0D") == "7E8 03 41 0D 00\r\r>"  # parked: 0 km/h
    assert elm.respond("") == "7E8 03 41 0D 00\r\r>"  # a bare CR repeats
    assert elm.respond("ATS0") == "OK\r\r>"
    assert elm.respond("010D1") == "7E803410D00\r\r>"
    elm.respond("ATH0")
    vin = elm.respond("0902").split("\r")
    assert vin[0] == "014" and vin[1].startswith("0:490201")
    assert elm.respond("03") == "4300\r\r>"
    odometer = int(elm.respond("01A6").split("\r")[0][4:], 16) / 10
    assert odometer == pytest.approx(car.values()["ODOMETER"], abs=0.05)
    chain = [int(elm.respond(f"01{base:02X}").split("\r")[0][4:], 16) for base in (0x80, 0xA0)]
    assert chain[0] & 1 and chain[1] & (1 << (0xC0 - 0xA6))  # 0180 points on; 01A6 is there
    assert encode_dtc("P0301") == b"\x03\x01" and encode_dtc("U0100") == b"\xc1\x00"
    assert pid_bitmask(0x00, {0x01, 0x0C, 0x21}) == bytes((0x80, 0x10, 0x00, 0x01))
    assert [len(f) for f in can_frames(bytes(21))] == [8, 8, 8, 2]


def test_simlink_answers_like_a_car_and_can_be_made_flaky():
    car = Car(start_ms=now_ms(), seed=2)
    link = SimLink(car)
    with pytest.raises(LinkError):
        link.read("RPM")
    assert link.connect().protocol.startswith("ISO 15765-4")
    assert link.read_vin() == car.vin
    assert {"RPM", "O2_B1S2", "CONTROL_MODULE_VOLTAGE"} <= link.supported_signals()
    assert link.read("CONTROL_MODULE_VOLTAGE") == car.values()["CONTROL_MODULE_VOLTAGE"]
    assert link.read("FUEL_PRESSURE") is None
    assert link.read_dtcs().stored == [] and link.read_dtcs().mil is False

    flaky = SimLink(car, flakiness=Flakiness(no_answer=0.3, drop=0.02, seed=1))
    flaky.connect()
    answered = unanswered = drops = 0
    for _ in range(2000):
        try:
            value = flaky.read("RPM")
        except LinkError:
            drops += 1
            flaky.connect()
            continue
        answered += value is not None
        unanswered += value is None
    assert drops == flaky.drops and 10 <= drops <= 80
    assert 0.2 < unanswered / (answered + unanswered) < 0.4
    quiet = SimLink(car, report_vin=False, answer_when_parked=False)
    quiet.connect()
    assert quiet.read_vin() is None
    assert not car.running and quiet.read("RPM") is None and quiet.read("ELM_VOLTAGE") > 11

"""The edge agent reads ELM327-emulator (a third-party ELM327) through python-OBD."""

from __future__ import annotations

import pytest

from core import wire
from core.broker import free_port
from edge_agent.agent import Agent
from edge_agent.link import LinkError
from edge_agent.obd_link import ObdLink
from tests.edge_support import Emulator, Subscriber, make_vin, run_until

CONFIG = wire.VehicleConfig(
    version=1,
    signals={
        "RPM": 0.2,
        "SPEED": 0.2,
        "COOLANT_TEMP": 0.2,
        "CONTROL_MODULE_VOLTAGE": 0.2,
        "ODOMETER": 0.2,
        "ELM_VOLTAGE": 0.2,
        "O2_B1S1": 0.2,  # the emulated Toyota does not support it: must be skipped
    },
    batch=wire.BatchConfig(max_samples=3, max_age_s=0.2),
    dtc_period_s=1.0,
    status_period_s=1.0,
)


@pytest.fixture
def emulator(tmp_path, unique_prefix):
    vin = make_vin(unique_prefix)
    emu = Emulator(tmp_path / "elm", vin=vin, stored="0300,0171", pending="0420")
    emu.vin = vin
    yield emu
    emu.kill()


def test_agent_publishes_vin_pids_and_dtcs_read_from_elm327_emulator(emulator, mqtt_url, tmp_path):
    sub = Subscriber(mqtt_url, emulator.vin)
    agent = Agent(link=ObdLink(emulator.url), mqtt_url=mqtt_url,
                  buffer_path=tmp_path / "buf.sqlite", config=CONFIG)  # fmt: skip
    agent.start()
    try:
        assert agent.vin == emulator.vin
        run_until(agent, lambda: len(sub.samples()) >= 6 and sub.of("dtc"))
        assert agent.flush(10)
    finally:
        agent.stop()
        sub.close()

    samples = sub.samples()
    seen = {name for s in samples for name in s.values}
    assert {"RPM", "SPEED", "COOLANT_TEMP", "CONTROL_MODULE_VOLTAGE", "ODOMETER"} <= seen
    assert "O2_B1S1" not in seen
    odometer = [s.values["ODOMETER"] for s in samples if "ODOMETER" in s.values]
    assert odometer and all(km == pytest.approx(12345.6) for km in odometer)
    assert [s.seq for s in samples] == sorted(s.seq for s in samples)
    for sample in samples:
        assert wire.sample_problem(sample, wire.now_ms()) is None

    report = sub.of("dtc")[0]
    assert report.stored == ["P0300", "P0171"]
    assert report.pending == ["P0420"]
    assert report.mil is True
    assert report.freeze_frame is not None and report.freeze_frame.dtc == "P0300"
    assert "RPM" in report.freeze_frame.values
    assert wire.dtc_problem(report, wire.now_ms()) is None

    statuses = sub.of("status")
    assert statuses[0].state == "online"
    assert statuses[0].agent.vin_source == "ecu"
    assert statuses[0].agent.adapter.startswith("ELM327")
    assert "CAN" in statuses[0].agent.protocol
    assert "ODOMETER" in statuses[0].supported and "O2_B1S1" not in statuses[0].supported
    assert statuses[-1].state == "offline"


def test_link_raises_link_error_when_the_adapter_goes_away(emulator):
    link = ObdLink(emulator.url, timeout=0.5)
    link.connect()
    assert link.read("RPM") is not None
    emulator.kill()
    with pytest.raises(LinkError):
        for _ in range(20):
            link.read("RPM")
    link.close()


def test_link_raises_link_error_when_nothing_answers_on_the_port():
    link = ObdLink(f"socket://127.0.0.1:{free_port()}")
    with pytest.raises(LinkError, match="127.0.0.1"):
        link.connect()


def test_emulator_without_vin_falls_back_to_the_configured_vin(tmp_path, mqtt_url, unique_prefix):
    vin = make_vin(unique_prefix)
    emu = Emulator(tmp_path / "elm", vin=None)
    try:
        link = ObdLink(emu.url)
        agent = Agent(link=link, mqtt_url=mqtt_url, buffer_path=tmp_path / "b.sqlite",
                      vin=vin, config=CONFIG)  # fmt: skip
        agent.start()
        agent.stop()
    finally:
        emu.kill()
    assert agent.vin == vin
    assert agent.vin_source == "configured"

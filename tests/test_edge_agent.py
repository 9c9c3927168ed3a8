"""The edge agent on a real broker: VIN rules, the /config message, a broker outage, messages
nobody reads yet, and a broker that speaks only MQTT 3.1.1."""

from __future__ import annotations

import logging
import threading

import pytest

from core import wire
from core.broker import LocalBroker, MqttUrl
from core.vin import with_check_digit
from edge_agent.agent import Agent, NoValidVin
from edge_agent.link import AdapterInfo, LinkError
from tests.edge_support import (
    FAST_CONFIG,
    FakeCar,
    Subscriber,
    make_vin,
    publish_retained,
    run_until,
)


def _agent(car, mqtt_url, tmp_path, **kwargs) -> Agent:
    return Agent(link=car, mqtt_url=mqtt_url, buffer_path=tmp_path / "outbox.sqlite",
                 config=kwargs.pop("config", FAST_CONFIG), **kwargs)  # fmt: skip


def _bad_check_digit(vin: str) -> str:
    wrong = "0" if vin[8] != "0" else "1"
    return vin[:8] + wrong + vin[9:]


@pytest.mark.parametrize("reported", [None, "", "NOT-A-VIN", "bad"])
def test_configured_vin_is_used_and_reported_when_the_car_gives_no_valid_vin(
    reported, mqtt_url, tmp_path, unique_prefix
):
    vin = make_vin(unique_prefix)
    sub = Subscriber(mqtt_url, vin)
    car = FakeCar(_bad_check_digit(vin) if reported == "bad" else reported)
    agent = _agent(car, mqtt_url, tmp_path, vin=vin.lower())
    agent.start()
    try:
        run_until(agent, lambda: sub.of("status"))
    finally:
        agent.stop()
        sub.close()
    assert agent.vin == vin
    birth = sub.of("status")[0]
    assert birth.state == "online"
    assert birth.agent.vin_source == "configured"
    assert "configured VIN" in birth.agent.note


def test_the_car_vin_wins_over_a_different_configured_one(mqtt_url, tmp_path, unique_prefix):
    vin = make_vin(unique_prefix)
    other = with_check_digit("LFV2A21K0A3" + "654321")
    agent = _agent(FakeCar(vin), mqtt_url, tmp_path, vin=other)
    agent.start()
    agent.stop()
    assert agent.vin == vin and agent.vin_source == "ecu"
    assert other in agent.note


class DropsWhileReadingTheVin(FakeCar):
    """A car whose link drops on the first VIN reads, then answers."""

    def __init__(self, vin: str, drops: int):
        super().__init__(vin)
        self.drops = drops
        self.connects = 0

    def connect(self) -> AdapterInfo:
        self.connects += 1
        return super().connect()

    def read_vin(self) -> str | None:
        if self.drops:
            self.drops -= 1
            raise LinkError("link dropped while reading the VIN")
        return self.vin


def test_a_link_that_drops_while_reading_the_vin_is_connected_again(mqtt_url, tmp_path,
                                                                    unique_prefix):  # fmt: skip
    vin = make_vin(unique_prefix)
    car = DropsWhileReadingTheVin(vin, drops=2)
    agent = _agent(car, mqtt_url, tmp_path)
    agent.start()
    agent.stop()
    assert agent.vin == vin and agent.vin_source == "ecu"
    assert car.connects == 3


def test_a_link_that_keeps_dropping_falls_back_to_the_configured_vin(mqtt_url, tmp_path,
                                                                     unique_prefix):  # fmt: skip
    vin = make_vin(unique_prefix)
    agent = _agent(DropsWhileReadingTheVin(vin, drops=99), mqtt_url, tmp_path, vin=vin)
    agent.start()
    agent.stop()
    assert agent.vin == vin and agent.vin_source == "configured"


@pytest.mark.parametrize("configured", [None, "LSVAU2180N2ABC12", "LSVAU2180N2ABC12O"])
def test_refuses_to_start_without_any_valid_vin(configured, mqtt_url, tmp_path):
    agent = _agent(FakeCar("WRONG"), mqtt_url, tmp_path, vin=configured)
    with pytest.raises(NoValidVin, match="--vin"):
        agent.start()
    assert agent.uplink is None  # nothing was published under a made-up identity


def test_retained_config_changes_signals_and_batching(mqtt_url, tmp_path, unique_prefix, caplog):
    vin = make_vin(unique_prefix)
    sub = Subscriber(mqtt_url, vin)
    agent = _agent(FakeCar(vin), mqtt_url, tmp_path)
    agent.start()
    try:
        run_until(agent, lambda: len(sub.of("telemetry")) >= 2)
        assert {"RPM", "SPEED", "COOLANT_TEMP"} <= {n for s in sub.samples() for n in s.values}

        invalid = wire.VehicleConfig(version=2, signals={"WARP_DRIVE": 1.0})
        publish_retained(mqtt_url, wire.topic(vin, "config"), wire.encode(invalid))
        publish_retained(mqtt_url, wire.topic(vin, "config"), b"{not json")
        new = wire.VehicleConfig(
            version=3,
            signals={"MAF": 0.1, "ENGINE_LOAD": 0.1},
            batch=wire.BatchConfig(max_samples=2, max_age_s=30),
        )
        publish_retained(mqtt_url, wire.topic(vin, "config"), wire.encode(new))
        with caplog.at_level(logging.WARNING, logger="edge_agent.agent"):
            run_until(agent, lambda: agent.config.version == 3)
        ignored = [r.getMessage() for r in caplog.records if "ignoring config" in r.getMessage()]
        assert len(ignored) == 2 and "WARP_DRIVE" in ignored[0]
        seen = len(sub.of("telemetry"))
        run_until(agent, lambda: len(sub.of("telemetry")) >= seen + 3)
    finally:
        agent.stop()
        sub.close()
        publish_retained(mqtt_url, wire.topic(vin, "config"), b"")  # clear the retained config
    later = sub.of("telemetry")[seen:-1]  # the last one may be the partial batch stop() flushed
    assert later and all(len(t.samples) == 2 for t in later)
    assert all(set(s.values) == {"MAF", "ENGINE_LOAD"} for t in later for s in t.samples)


def test_dtcs_are_published_when_they_change(mqtt_url, tmp_path, unique_prefix):
    vin = make_vin(unique_prefix)
    sub = Subscriber(mqtt_url, vin)
    car = FakeCar(vin)
    config = wire.VehicleConfig(version=1, signals={"RPM": 1.0}, dtc_period_s=3600)
    agent = _agent(car, mqtt_url, tmp_path, config=config)
    agent.start()
    try:
        run_until(agent, lambda: sub.of("dtc"))
        car.stored = ["P0171"]
        agent.schedule.next_dtc_poll = 0  # poll now rather than in DTC_POLL_S
        run_until(agent, lambda: len(sub.of("dtc")) >= 2)
    finally:
        agent.stop()
        sub.close()
    first, second = sub.of("dtc")[:2]
    assert first.stored == [] and first.mil is False
    assert second.stored == ["P0171"] and second.mil is True


def test_broker_outage_loses_nothing(own_broker, tmp_path, unique_prefix):
    vin = make_vin(unique_prefix)
    sub = Subscriber(own_broker.url, vin, session=f"edge-test-{unique_prefix}")
    car = FakeCar(vin)
    agent = _agent(car, own_broker.url, tmp_path)
    stop = threading.Event()
    runner = threading.Thread(target=agent.run, args=(stop,))
    agent.start()
    runner.start()
    try:
        sub.wait_for(lambda: len(sub.samples()) >= 10)
        own_broker.stop()
        sub.wait_for(lambda: agent.buffer.depth >= 20)  # sampling goes on into the outbox
        car.down = True  # and the car drops out too for a moment
        sub.wait_for(lambda: not agent.link_up)
        car.down = False
        own_broker.start()
        sub.wait_for(lambda: agent.link_up and agent._connected, timeout=30)
    finally:
        stop.set()
        runner.join(10)
    try:
        assert agent.flush(20)
        produced = agent.buffer.next_seq
        sub.wait_for(lambda: {s.seq for s in sub.samples()} >= set(range(produced)), timeout=20)
    finally:
        agent.stop()
        sub.close()
    by_seq: dict[int, int] = {}
    for sample in sub.samples():
        assert by_seq.setdefault(sample.seq, sample.ts) == sample.ts  # a resend is identical
    assert sorted(by_seq.values()) == [by_seq[s] for s in sorted(by_seq)]
    assert any(s.state == "online" for s in sub.of("status"))


def test_messages_nobody_reads_stay_in_the_outbox_until_someone_subscribes(
    own_broker, tmp_path, unique_prefix
):
    """The broker answers "no matching subscribers" (as after a restart, before the ingest
    subscribes again): the agent keeps those messages and sends them again later."""
    vin = make_vin(unique_prefix)
    agent = _agent(FakeCar(vin), own_broker.url, tmp_path)
    agent.start()
    try:
        run_until(agent, lambda: agent._publish_after > 0 and agent.buffer.next_seq >= 10)
        assert agent.buffer.depth >= 10  # offered to the broker, read by nobody, all kept
        sub = Subscriber(own_broker.url, vin)
        run_until(agent, lambda: {s.seq for s in sub.samples()} >= set(range(10)), timeout=30)
    finally:
        agent.stop()
    sub.close()


def test_a_broker_without_mqtt_5_gets_mqtt_3(tmp_path, unique_prefix, caplog):
    vin = make_vin(unique_prefix)
    with LocalBroker(tmp_path / "amqtt", prefer="amqtt") as broker:
        sub = Subscriber(broker.url, vin)
        agent = _agent(FakeCar(vin), broker.url, tmp_path)
        agent.start()
        try:
            with caplog.at_level(logging.WARNING, logger="edge_agent.agent"):
                run_until(agent, lambda: len(sub.samples()) >= 5, timeout=30)
        finally:
            agent.stop()
            sub.close()
    assert "does not take MQTT 5; using MQTT 3.1.1" in caplog.text
    assert [s.seq for s in sub.samples()][:5] == list(range(5))


def test_a_cluster_node_lost_moves_the_car_to_the_next_and_loses_nothing(tmp_path, unique_prefix):
    """Given a cluster's nodes, the agent moves to the next when its node dies, and what it
    buffered meanwhile arrives there. (Two separate Mosquittos stand in for two nodes.)"""
    vin = make_vin(unique_prefix)
    with LocalBroker(tmp_path / "b1") as first, LocalBroker(tmp_path / "b2") as second:
        on_first, on_second = Subscriber(first.url, vin), Subscriber(second.url, vin)
        agent = _agent(FakeCar(vin), f"{first.url},{second.url}", tmp_path)
        agent.start()
        try:
            run_until(agent, lambda: len(on_first.samples()) >= 10)
            assert agent.uplink.url.port == MqttUrl.parse(first.url).port
            first.stop()
            run_until(agent, lambda: len(on_second.samples()) >= 10, timeout=30)
            assert agent.uplink.url.port == MqttUrl.parse(second.url).port
            assert agent.flush(20)
            produced = agent.buffer.next_seq
        finally:
            agent.stop()
            on_first.close()
            on_second.close()
    seen = {s.seq for s in on_first.samples()} | {s.seq for s in on_second.samples()}
    assert seen >= set(range(produced)), "samples taken while the node was down were lost"
    assert any(s.state == "online" for s in on_second.of("status"))

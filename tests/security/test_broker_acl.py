"""Cars on the broker: against a real Mosquitto with `pitstop cars` accounts, the Pitstop ACL
and TLS from a CA made here, a car speaks and listens only as itself."""

from __future__ import annotations

import datetime as dt
import ipaddress
import queue
import shutil
import ssl
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.broker import LocalBroker, MqttUrl, TlsFiles
from core.broker_auth import API_USER, INGEST_USER, BrokerAccounts, Credentials, acl_rules
from core.broker_auth import acl_text as pitstop_acl
from core.wire import topic
from ingest.mqtt import topic_filters

pytestmark = pytest.mark.skipif(shutil.which("mosquitto") is None, reason="needs Mosquitto")

CAR, OTHER_CAR = "LSVAX60E1N2000001", "LFV2A21K6R3000042"
WAIT_S = 10


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def make_pki(directory: Path) -> TlsFiles:
    """A CA and a server certificate for localhost / 127.0.0.1 that it signed."""
    now = dt.datetime.now(dt.UTC)
    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Pitstop test CA"))
        .issuer_name(_name("Pitstop test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    _write_key(server_key, files.key_file)
    return files


class Broker:
    """A dedicated Mosquitto with Pitstop accounts on a TLS listener."""

    def __init__(self, workdir: Path) -> None:
        self.accounts = BrokerAccounts(workdir / "accounts").ensure()
        self.tls = make_pki(workdir / "pki")
        self.car = self.accounts.provision_car(CAR)
        self.other_car = self.accounts.provision_car(OTHER_CAR)
        self.ingest = self.accounts.provision_service(INGEST_USER)
        self.api = self.accounts.provision_service(API_USER)
        self.process = LocalBroker(workdir / "mosquitto", accounts=self.accounts, tls=self.tls)

    def url(self, who: Credentials | None) -> str:
        return who.url(self.process.url) if who else self.process.url


class Client:
    """A connected paho client that queues what it receives."""

    def __init__(self, url: str, *, mqtt5: bool = False, wait_s: float = WAIT_S) -> None:
        target = MqttUrl.parse(url)
        protocol = mqtt.MQTTv5 if mqtt5 else mqtt.MQTTv311
        self.paho = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex}", protocol=protocol
        )
        target.configure(self.paho)
        self.connack: queue.Queue = queue.Queue()
        self.received: queue.Queue = queue.Queue()
        self.subacks: queue.Queue = queue.Queue()
        self.paho.on_connect = lambda c, u, f, reason, p: self.connack.put(reason)
        self.paho.on_message = lambda c, u, msg: self.received.put((msg.topic, msg.payload))
        self.paho.on_subscribe = lambda c, u, mid, codes, p: self.subacks.put(codes)
        self.paho.connect(target.host, target.port)
        self.paho.loop_start()
        try:
            self.reason = self.connack.get(timeout=wait_s)
        except queue.Empty:
            self.close()
            raise

    def subscribe(self, *filters: str) -> list:
        self.paho.subscribe([(f, 1) for f in filters])
        return self.subacks.get(timeout=WAIT_S)

    def publish(self, name: str, payload: bytes) -> None:
        self.paho.publish(name, payload, qos=1).wait_for_publish(WAIT_S)

    def close(self) -> None:
        self.paho.loop_stop()
        self.paho.disconnect()


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    broker = Broker(tmp_path_factory.mktemp("secure-broker"))
    with broker.process:
        yield broker


@pytest.fixture
def connect(broker):
    clients: list[Client] = []

    def connect_as(who: Credentials | None, *, mqtt5: bool = False, url: str | None = None):
        client = Client(url or broker.url(who), mqtt5=mqtt5)
        clients.append(client)
        return client

    yield connect_as
    for client in clients:
        client.close()


def _ingest(broker, connect) -> Client:
    """Ingest as it subscribes in production: MQTT 5 shared subscriptions to all uplinks."""
    ingest = connect(broker.ingest, mqtt5=True)
    assert not ingest.reason.is_failure, ingest.reason
    assert not any(code.is_failure for code in ingest.subscribe(*topic_filters("ingest", True)))
    return ingest


def test_a_car_cannot_publish_as_another_car(broker, connect):
    ingest = _ingest(broker, connect)
    car = connect(broker.car)
    assert not car.reason.is_failure, car.reason
    car.publish(topic(OTHER_CAR, "telemetry"), b"spoofed")
    car.publish(topic(OTHER_CAR, "dtc"), b"spoofed")
    car.publish(topic(CAR, "telemetry"), b"mine")
    assert ingest.received.get(timeout=WAIT_S) == (topic(CAR, "telemetry"), b"mine")
    assert ingest.received.empty(), "a car's message reached ingest under another car's VIN"


def test_a_car_cannot_write_its_own_config(broker, connect):
    car = connect(broker.other_car)
    listener = connect(broker.car)
    listener.subscribe(topic(CAR, "config"))
    car.publish(topic(CAR, "config"), b"foreign config")
    mine = connect(broker.car)
    mine.publish(topic(CAR, "config"), b"self-made config")
    connect(broker.api).publish(topic(CAR, "config"), b"the dealer's config")
    assert listener.received.get(timeout=WAIT_S) == (topic(CAR, "config"), b"the dealer's config")
    assert listener.received.empty(), "a car wrote a car's config"


def test_a_car_reads_its_own_config_and_not_another_cars_topics(broker, connect):
    api, car, other = connect(broker.api), connect(broker.car), connect(broker.other_car)
    # Mosquitto 2.0 grants these subscriptions and then delivers nothing the ACL denies.
    car.subscribe(topic(OTHER_CAR, "config"), topic(OTHER_CAR, "telemetry"), "pitstop/v1/#", "#")
    assert not car.subscribe(topic(CAR, "config"))[0].is_failure
    other.publish(topic(OTHER_CAR, "telemetry"), b"other's telemetry")
    api.publish(topic(OTHER_CAR, "config"), b"other's config")
    api.publish(topic(CAR, "config"), b"my config")
    assert car.received.get(timeout=WAIT_S) == (topic(CAR, "config"), b"my config")
    assert car.received.empty(), "a car read another car's topics"


def test_ingest_reads_every_car(broker, connect):
    ingest = _ingest(broker, connect)
    connect(broker.car).publish(topic(CAR, "status"), b"a")
    connect(broker.other_car).publish(topic(OTHER_CAR, "dtc"), b"b")
    got = {ingest.received.get(timeout=WAIT_S) for _ in range(2)}
    assert got == {(topic(CAR, "status"), b"a"), (topic(OTHER_CAR, "dtc"), b"b")}


@pytest.mark.parametrize(
    "who",
    [
        None,
        Credentials("LGWEF4A59MS000007", "a-guessed-password"),
        Credentials(CAR, "the-wrong-password"),
        Credentials("pitstop-fleet", "fleet-dev-password"),  # the demo account is not here
    ],
    ids=["anonymous", "unknown-car", "wrong-password", "demo-fleet-account"],
)
def test_a_client_without_a_valid_account_cannot_connect(broker, connect, who):
    assert connect(who).reason.is_failure


def test_a_revoked_car_cannot_connect_after_the_reload(tmp_path, connect):
    broker = Broker(tmp_path)
    with broker.process:
        assert not connect(None, url=broker.url(broker.car)).reason.is_failure
        broker.accounts.revoke(CAR)
        broker.process.reload()
        assert connect(None, url=broker.url(broker.car)).reason.is_failure
        assert not connect(None, url=broker.url(broker.other_car)).reason.is_failure


def test_tls_needs_the_ca_that_signed_the_broker(broker, connect):
    assert not connect(broker.car).reason.is_failure  # mqtts:// verifying the test CA
    without_ca = broker.url(broker.car).split("?")[0]  # the system's CAs only
    with pytest.raises(ssl.SSLCertVerificationError):
        connect(None, url=without_ca)
    plain = without_ca.replace("mqtts://", "mqtt://")
    with pytest.raises((OSError, queue.Empty)):  # the TLS listener never answers plain MQTT
        Client(plain, wait_s=2)


def test_the_deploy_acl_is_the_one_pitstop_writes():
    deploy = Path(__file__).parents[2] / "deploy/mosquitto/acl"
    assert acl_rules(deploy.read_text()) == acl_rules(pitstop_acl(demo_fleet=True))


def test_a_ca_on_a_plain_url_is_refused_rather_than_ignored():
    with pytest.raises(ValueError, match="use mqtts://"):
        MqttUrl.parse("mqtt://car:secret@broker.example.com:1883?ca=/etc/pitstop/ca.pem")
    assert MqttUrl.parse("mqtts://broker.example.com?ca=/etc/ca.pem").ca_file == "/etc/ca.pem"

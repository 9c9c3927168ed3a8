"""MQTT broker URLs, and a local broker for the zero-setup default and the tests.

Mosquitto is used when it is on the PATH; otherwise the pure-Python amqtt broker, which
speaks MQTT 3.1.1 only (no shared subscriptions, so one ingest process).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

    from core.broker_auth import BrokerAccounts

# A persistent ingest session may be offline for a while; the broker keeps its messages.
MOSQUITTO_QUEUE_LIMIT = 1_000_000
MOSQUITTO_INFLIGHT_LIMIT = 1000


@dataclass(frozen=True)
class MqttUrl:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None  # mqtts:// verifies against this CA; else the system's CAs

    @classmethod
    def parse(cls, url: str) -> MqttUrl:
        """mqtt://user:pass@host:1883 or mqtts://host:8883?ca=/path/ca.pem; ValueError says
        what is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp"):
            raise ValueError(f"MQTT URL {url!r} must start with mqtt:// or mqtts://")
        if not parts.hostname:
            raise ValueError(f"MQTT URL {parts.scheme}://… has no host")
        tls = parts.scheme == "mqtts"
        ca_file = parse_qs(parts.query).get("ca", [None])[-1]
        if ca_file and not tls:
            raise ValueError("MQTT URL has ?ca= but plain mqtt://; use mqtts:// for TLS")
        return cls(
            host=parts.hostname,
            port=parts.port or (8883 if tls else 1883),
            username=parts.username,
            password=parts.password,
            tls=tls,
            ca_file=ca_file,
        )

    def configure(self, client: mqtt.Client) -> None:
        """Give a paho client this URL's credentials and, for mqtts://, verified TLS."""
        if self.username:
            client.username_pw_set(self.username, self.password)
        if self.tls:
            client.tls_set(ca_certs=self.ca_file)  # verifies the chain and the host name

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_brokers(text: str) -> list[MqttUrl]:
    """One broker URL, or several separated by commas (the nodes of a cluster, tried in turn
    when one stops answering); ValueError says what is wrong."""
    urls = [part.strip() for part in text.split(",") if part.strip()]
    if not urls:
        raise ValueError("no MQTT URL given; e.g. mqtt://broker.example.com:1883")
    return [MqttUrl.parse(url) for url in urls]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    """Block until something accepts connections on host:port; TimeoutError otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing accepted connections on {host}:{port} within {timeout} s")


# As root, Mosquitto would switch to a user that cannot read this process's private files.
LOCAL_USER = "user root\n" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a TLS listener: the CA that signed it, its certificate and key."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def mosquitto_config(self) -> str:
        return (
            f"cafile {self.ca_file}\ncertfile {self.cert_file}\nkeyfile {self.key_file}\n"
            "tls_version tlsv1.2\n"
        )


class LocalBroker:
    """A broker process this program owns: start(), stop(), start() again on the same port."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        prefer: str = "mosquitto",
        *,
        accounts: BrokerAccounts | None = None,
        tls: TlsFiles | None = None,
    ):
        self.workdir = workdir
        self.port = port or free_port()
        self.kind = "mosquitto" if prefer == "mosquitto" and shutil.which("mosquitto") else "amqtt"
        if (accounts or tls) and self.kind != "mosquitto":
            raise RuntimeError("broker accounts and TLS need Mosquitto on the PATH")
        self.accounts, self.tls = accounts, tls
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        if self.tls:
            return f"mqtts://localhost:{self.port}?ca={self.tls.ca_file}"
        return f"mqtt://127.0.0.1:{self.port}"

    def reload(self) -> None:
        """Make Mosquitto reread its password and ACL files (after provisioning or revoking)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGHUP)

    def start(self) -> LocalBroker:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.workdir / f"{self.kind}.log", "ab")  # noqa: SIM115 - owned by the child
        self.process = subprocess.Popen(self._command(), stdout=log, stderr=log)
        wait_for_port("127.0.0.1", self.port)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def _command(self) -> list[str]:
        if self.kind == "mosquitto":
            config = self.workdir / "mosquitto.conf"
            config.write_text(
                f"listener {self.port} 127.0.0.1\n"
                + (self.tls.mosquitto_config() if self.tls else "")
                + (self.accounts.mosquitto_config() if self.accounts else "allow_anonymous true\n")
                + LOCAL_USER
                + "persistence true\n"
                f"persistence_location {self.workdir}/\n"
                f"max_queued_messages {MOSQUITTO_QUEUE_LIMIT}\n"
                f"max_inflight_messages {MOSQUITTO_INFLIGHT_LIMIT}\n"
                "log_type error\nlog_type warning\n"
            )
            return ["mosquitto", "-c", str(config)]
        config = self.workdir / "amqtt.yaml"
        config.write_text(
            "listeners:\n  default:\n    type: tcp\n"
            f"    bind: 127.0.0.1:{self.port}\n"
            "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n"
            "    allow_anonymous: true\n"
        )
        return [sys.executable, "-m", "amqtt.scripts.broker_script", "-c", str(config)]

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

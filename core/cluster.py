"""A local NATS JetStream cluster on loopback, with the MQTT listener on every node.

Tests and benchmarks start one to run the clustered path on a single machine. Each node gets
a config file of its own, free ports, and a JetStream store under the given directory.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from core.broker import free_port

CLUSTER_NAME = "pitstop"
READY_TIMEOUT_S = 60.0  # a JetStream meta leader is elected within seconds on loopback
POLL_S = 0.1
STOP_TIMEOUT_S = 10.0
MAX_MEMORY_STORE = "256MB"
MAX_FILE_STORE = "4GB"


class ClusterError(RuntimeError):
    """The cluster could not be started or did not become ready."""


@dataclass
class NatsNode:
    """One nats-server: its ports, config file and process."""

    name: str
    client_port: int
    cluster_port: int
    mqtt_port: int
    monitor_port: int
    config: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The NATS client URL."""
        return f"nats://127.0.0.1:{self.client_port}"

    @property
    def mqtt_url(self) -> str:
        """The MQTT listener's URL, for cars."""
        return f"mqtt://127.0.0.1:{self.mqtt_port}"

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def jetstream_info(self) -> dict[str, object]:
        """The node's /jsz monitoring document (empty while it does not answer)."""
        url = f"http://127.0.0.1:{self.monitor_port}/jsz"
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                info: dict[str, object] = json.loads(response.read())
                return info
        except (OSError, ValueError):
            return {}


def node_config(node: NatsNode, peers: list[NatsNode], store_dir: Path) -> str:
    """The nats-server config of one node: client, cluster, JetStream and MQTT listeners."""
    routes = ", ".join(f"nats-route://127.0.0.1:{p.cluster_port}" for p in peers if p is not node)
    return f"""server_name: {node.name}
listen: 127.0.0.1:{node.client_port}
http: 127.0.0.1:{node.monitor_port}
jetstream {{
  store_dir: "{store_dir}"
  max_memory_store: {MAX_MEMORY_STORE}
  max_file_store: {MAX_FILE_STORE}
}}
cluster {{
  name: {CLUSTER_NAME}
  listen: 127.0.0.1:{node.cluster_port}
  routes: [{routes}]
}}
mqtt {{
  listen: 127.0.0.1:{node.mqtt_port}
  stream_replicas: {min(3, len(peers))}
}}
"""


class NatsCluster:
    """N clustered nats-server processes; use as a context manager or call start()/stop()."""

    def __init__(self, workdir: Path, size: int = 3, binary: str = "nats-server"):
        found = shutil.which(binary)
        if found is None:
            raise ClusterError(
                f"{binary} is not on the PATH; install it (Debian: apt-get install nats-server)"
            )
        self.binary = found
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.nodes = [
            NatsNode(
                name=f"n{i + 1}",
                client_port=free_port(),
                cluster_port=free_port(),
                mqtt_port=free_port(),
                monitor_port=free_port(),
                config=workdir / f"n{i + 1}.conf",
            )
            for i in range(size)
        ]
        for node in self.nodes:
            store = workdir / node.name / "jetstream"
            node.config.write_text(node_config(node, self.nodes, store))

    @property
    def urls(self) -> list[str]:
        """Every node's NATS client URL."""
        return [node.url for node in self.nodes]

    @property
    def nats_urls(self) -> str:
        """The client URLs comma-separated, as PITSTOP_NATS_URLS takes them."""
        return ",".join(self.urls)

    @property
    def mqtt_urls(self) -> list[str]:
        """Every node's MQTT URL."""
        return [node.mqtt_url for node in self.nodes]

    def start(self) -> NatsCluster:
        """Start every node and wait until the cluster has a JetStream meta leader."""
        for node in self.nodes:
            self._spawn(node)
        self.wait_ready()
        return self

    def _spawn(self, node: NatsNode) -> None:
        log = (self.workdir / f"{node.name}.log").open("ab")
        node.process = subprocess.Popen(
            [self.binary, "-c", str(node.config)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def meta_leader(self) -> str | None:
        """The name of the JetStream meta leader, as a running node sees it."""
        for node in self.nodes:
            if not node.running:
                continue
            meta = node.jetstream_info().get("meta_cluster")
            if isinstance(meta, dict) and meta.get("leader"):
                return str(meta["leader"])
        return None

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        """Wait until every running node answers and a meta leader is elected."""
        deadline = time.monotonic() + timeout
        while True:
            dead = [n.name for n in self.nodes if n.process is not None and not n.running]
            if dead and len(dead) == len(self.nodes):
                raise ClusterError(f"every nats-server exited; see the logs in {self.workdir}")
            alive = [n for n in self.nodes if n.running]
            if self.meta_leader() and all(n.jetstream_info() for n in alive):
                return
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"no JetStream meta leader within {timeout:.0f} s; "
                    f"see the logs in {self.workdir}"
                )
            time.sleep(POLL_S)

    def kill(self, index: int) -> None:
        """SIGKILL one node, as a crash would."""
        node = self.nodes[index]
        if node.process is not None and node.running:
            node.process.send_signal(signal.SIGKILL)
            node.process.wait(STOP_TIMEOUT_S)

    def restart(self, index: int) -> None:
        """Start a stopped node again with its config and store, and wait for the cluster."""
        node = self.nodes[index]
        if node.running:
            raise ClusterError(f"node {node.name} is still running; kill it first")
        self._spawn(node)
        self.wait_ready()

    def stop(self) -> None:
        """Stop every node (SIGTERM, then SIGKILL if one hangs)."""
        for node in self.nodes:
            if node.process is not None and node.running:
                node.process.terminate()
        for node in self.nodes:
            if node.process is None:
                continue
            try:
                node.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait(STOP_TIMEOUT_S)

    def __enter__(self) -> NatsCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

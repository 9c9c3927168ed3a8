"""A local RabbitMQ cluster with the MQTT plugin, for tests and `pitstop bench brokers`.

Each node runs as a user process with its own node name, ports, data and log directories,
config file and enabled-plugins file under the given directory, so that a RabbitMQ service
already running on the machine is never touched. MQTT QoS 1 subscriptions of persistent
sessions get quorum queues (`mqtt.durable_queue_type`, RabbitMQ 3.10 and later).
"""

from __future__ import annotations

import contextlib
import os
import random
import secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import psutil

SBIN_DIRS = (Path("/usr/lib/rabbitmq/bin"), Path("/usr/sbin"), Path("/usr/local/sbin"))
NODE_PREFIX = "pitstop-bench-r"
READY_TIMEOUT_S = 120.0  # a cold node boots in 5-20 s; joining restarts its app
CTL_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 20.0
POLL_S = 0.2
# Listeners take ports below the kernel's ephemeral range: an ephemeral port that was free a
# moment ago can be taken by an outgoing connection (the CLI's, a peer's) before a node binds it.
PORT_RANGE = (20_000, 32_000)
MQTT_PREFETCH = 1000  # unacknowledged deliveries per MQTT subscriber; the plugin's default is 10


class RabbitError(RuntimeError):
    """The RabbitMQ cluster could not be started, joined or stopped."""


def _sbin(tool: str) -> str:
    for folder in SBIN_DIRS:
        if (folder / tool).exists():
            return str(folder / tool)
    raise RabbitError(
        f"{tool} was not found in {', '.join(map(str, SBIN_DIRS))}; install rabbitmq-server"
    )


def quiet_ports(count: int) -> list[int]:
    """Distinct free TCP ports on 127.0.0.1 below the ephemeral range."""
    chosen: list[int] = []
    while len(chosen) < count:
        port = random.randint(*PORT_RANGE)
        with socket.socket() as probe:
            if port in chosen or probe.connect_ex(("127.0.0.1", port)) == 0:
                continue
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen.append(port)
    return chosen


@dataclass
class RabbitNode:
    """One RabbitMQ node: its name, ports, directories and process."""

    name: str
    amqp_port: int
    dist_port: int
    mqtt_port: int
    home: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def mqtt_url(self) -> str:
        """The MQTT listener's URL."""
        return f"mqtt://127.0.0.1:{self.mqtt_port}"

    @property
    def amqp_url(self) -> str:
        """The AMQP listener's URL (the default guest account, allowed on loopback)."""
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/%2F"

    @property
    def running(self) -> bool:
        """Whether the node's start script is alive."""
        return self.process is not None and self.process.poll() is None

    def beam_pids(self) -> list[int]:
        """The node's Erlang VM and helper processes (for CPU accounting)."""
        if self.process is None:
            return []
        with_children = psutil.Process(self.process.pid).children(recursive=True)
        return [self.process.pid, *[p.pid for p in with_children]]


def node_config(node: RabbitNode) -> str:
    """The rabbitmq.conf of one node: loopback listeners, quorum queues for MQTT QoS 1."""
    return f"""listeners.tcp.1 = 127.0.0.1:{node.amqp_port}
mqtt.listeners.tcp.1 = 127.0.0.1:{node.mqtt_port}
mqtt.allow_anonymous = true
mqtt.durable_queue_type = quorum
mqtt.prefetch = {MQTT_PREFETCH}
loopback_users = none
log.console = false
log.file.level = warning
"""


class RabbitCluster:
    """N clustered RabbitMQ nodes with the MQTT plugin; a context manager."""

    def __init__(self, workdir: Path, size: int = 3):
        self.server = _sbin("rabbitmq-server")
        self.ctl = _sbin("rabbitmqctl")
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.home = workdir / "home"
        self.home.mkdir(exist_ok=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o400)
        (workdir / "enabled_plugins").write_text("[rabbitmq_mqtt].\n")
        (workdir / "rabbitmq-env.conf").write_text("")  # the machine's own file is not read
        host = socket.gethostname().split(".")[0]
        ports = quiet_ports(3 * size)
        self.nodes = [
            RabbitNode(
                name=f"{NODE_PREFIX}{i + 1}-{os.getpid()}@{host}",
                amqp_port=ports[3 * i],
                dist_port=ports[3 * i + 1],
                mqtt_port=ports[3 * i + 2],
                home=workdir / f"r{i + 1}",
            )
            for i in range(size)
        ]
        for node in self.nodes:
            node.home.mkdir(exist_ok=True)
            (node.home / "rabbitmq.conf").write_text(node_config(node))

    @property
    def mqtt_urls(self) -> list[str]:
        """Every node's MQTT URL."""
        return [node.mqtt_url for node in self.nodes]

    @property
    def amqp_urls(self) -> str:
        """Every node's AMQP URL, comma-separated as PITSTOP_AMQP_URLS takes them."""
        return ",".join(node.amqp_url for node in self.nodes)

    def _env(self, node: RabbitNode) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update(
            HOME=str(self.home),
            RABBITMQ_CONF_ENV_FILE=str(self.workdir / "rabbitmq-env.conf"),
            RABBITMQ_NODENAME=node.name,
            RABBITMQ_NODE_IP_ADDRESS="127.0.0.1",
            RABBITMQ_NODE_PORT=str(node.amqp_port),
            RABBITMQ_DIST_PORT=str(node.dist_port),
            RABBITMQ_CONFIG_FILE=str(node.home / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.workdir / "enabled_plugins"),
            RABBITMQ_MNESIA_BASE=str(node.home / "mnesia"),
            RABBITMQ_LOG_BASE=str(node.home / "log"),
            RABBITMQ_PID_FILE=str(node.home / "pid"),
        )
        return env

    def ctl_command(self, node: RabbitNode) -> tuple[str, dict[str, str]]:
        """The rabbitmqctl command line for one node, and the environment it needs."""
        return f"{self.ctl} -n {node.name}", self._env(node)

    def ctl_call(self, node: RabbitNode, *args: str) -> str:
        """Run rabbitmqctl against one of our nodes; raise with its output if it fails."""
        done = subprocess.run(
            [self.ctl, "-n", node.name, *args],
            env=self._env(node),
            capture_output=True,
            text=True,
            timeout=CTL_TIMEOUT_S,
        )
        if done.returncode != 0:
            raise RabbitError(
                f"rabbitmqctl {' '.join(args)} on {node.name} failed: "
                f"{(done.stderr or done.stdout).strip()[-500:]}; "
                f"see the logs in {node.home / 'log'}"
            )
        return done.stdout

    def start(self) -> RabbitCluster:
        """Boot every node, join them to the first, and wait for every MQTT listener."""
        try:
            for node in self.nodes:
                self._spawn(node)
            for node in self.nodes:
                self._await_boot(node)
            for node in self.nodes[1:]:
                self.ctl_call(node, "stop_app")
                self.ctl_call(node, "join_cluster", self.nodes[0].name)
                self.ctl_call(node, "start_app")
            for node in self.nodes:
                self._wait_port(node, node.mqtt_port)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, node: RabbitNode) -> None:
        with (node.home / "console.log").open("ab") as log:
            node.process = subprocess.Popen(
                [self.server],
                env=self._env(node),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its Erlang helpers go with it on stop
            )

    def kill(self, index: int) -> None:
        """SIGKILL one node and its Erlang helpers: a machine lost, not a clean stop."""
        node = self.nodes[index]
        if node.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(node.process.pid, signal.SIGKILL)
            node.process.wait(STOP_TIMEOUT_S)

    def restart(self, index: int) -> None:
        """Start a killed node again; it rejoins the cluster from its own data directory."""
        node = self.nodes[index]
        if node.running:
            raise RabbitError(f"node {node.name} is still running; kill it first")
        self._spawn(node)
        self._await_boot(node)
        self._wait_port(node, node.mqtt_port)

    def _await_boot(self, node: RabbitNode) -> None:
        """Wait until the node is registered and its app has booted."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                self.ctl_call(node, "await_startup", "--timeout", "30")
                return
            except RabbitError:
                if not node.running or time.monotonic() > deadline:
                    raise
            time.sleep(POLL_S * 5)

    def _wait_port(self, node: RabbitNode, port: int) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    return
            if not node.running:
                raise RabbitError(f"{node.name} exited; see the logs in {node.home / 'log'}")
            if time.monotonic() > deadline:
                raise RabbitError(f"{node.name} did not open MQTT port {port} in time")
            time.sleep(POLL_S)

    def cluster_size(self) -> int:
        """How many nodes the first node sees running in its cluster."""
        status = self.ctl_call(self.nodes[0], "eval", "length(rabbit_nodes:all_running()).")
        return int(status.strip())

    def subscription_queues(self) -> str:
        """Every queue's name, type and replica nodes, as the first node lists them."""
        listing = self.ctl_call(
            self.nodes[0], "list_queues", "name", "type", "members", "--quiet", "--no-table-headers"
        )
        return "; ".join(" ".join(line.split()) for line in listing.splitlines() if line.strip())

    def stop(self) -> None:
        """Stop every node (rabbitmqctl stop, then SIGTERM/SIGKILL of its process group)."""
        for node in reversed(self.nodes):
            if node.running:
                with contextlib.suppress(RabbitError, subprocess.TimeoutExpired):
                    self.ctl_call(node, "stop")
        for node in self.nodes:
            if node.process is None:
                continue
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(node.process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    node.process.wait(STOP_TIMEOUT_S)
                    break
                except subprocess.TimeoutExpired:
                    continue

    def __enter__(self) -> RabbitCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

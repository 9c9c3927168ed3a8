"""docker-compose.yml, the Dockerfile and the Mosquitto config are correct without Docker.

Docker cannot run here, so the compose file is parsed and every claim it makes is checked
against the code it starts: commands against the `pitstop` CLI, environment against Settings,
mounts against the repository. The Mosquitto config and ACL run in a real Mosquitto.
"""

from __future__ import annotations

import fnmatch
import os
import queue
import re
import shlex
import shutil
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import click
import paho.mqtt.client as mqtt
import pytest
import typer
import yaml

from core import broker
from core.settings import Settings
from core.wire import topic

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict] = COMPOSE["services"]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
TEST_ENV = {"PITSTOP_JWT_SECRET": "a-test-secret-that-is-long-enough-for-hs256-keys"}
OWN = sorted(name for name, service in SERVICES.items() if "build" in service)
# Typer 0.29 ships its own copy of click; older Typer uses click itself.
CliError = getattr(typer, "TyperException", click.ClickException)
_VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$."""

    def one(m: re.Match) -> str:
        name, op, arg = m[1], m[2], m[3]
        value = env.get(name)
        if op and op.endswith("?") and not value:
            raise KeyError(f"compose requires {name}: {arg}")
        if value is None or (op == ":-" and value == ""):
            return arg or ""
        return value

    return _VARIABLE.sub(one, text).replace("$$", "$")


def environment(service: str, env: dict[str, str] = TEST_ENV) -> dict[str, str]:
    raw = SERVICES[service].get("environment", {})
    return {key: interpolate(str(value), env) for key, value in raw.items()}


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def entrypoint() -> list[str]:
    import json

    return json.loads([args for op, args in dockerfile() if op == "ENTRYPOINT"][-1])


def resolve_cli(argv: list[str]) -> list[str]:
    """Parse argv with the real `pitstop` command tree; the path of commands it names."""
    from cli.main import app

    command = typer.main.get_command(app)
    ctx = command.make_context("pitstop", list(argv))
    path = ["pitstop"]
    while hasattr(command, "resolve_command"):  # a group of subcommands
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        if not rest:
            if command.invoke_without_command:  # the group runs on its own (a service)
                return path
            raise typer.BadParameter(f"{' '.join(path)} needs a subcommand")
        name, command, rest = command.resolve_command(ctx, rest)
        path.append(name)
        ctx = command.make_context(name, rest, parent=ctx)
    return path


def test_the_stack_has_every_part():
    assert {
        "timescaledb",
        "mosquitto",
        "grafana",
        "migrate",
        "ingest",
        "api",
        "diagnostics",
    } <= set(SERVICES)


@pytest.mark.parametrize("service", OWN)
def test_service_command_is_a_real_pitstop_subcommand(service):
    argv = [*entrypoint(), *SERVICES[service]["command"]]
    assert argv[0] in PYPROJECT["project"]["scripts"], "the image's entry point is not pitstop"
    assert PYPROJECT["project"]["scripts"][argv[0]] == "cli.main:app"
    try:
        path = resolve_cli(argv[1:])
    except CliError as exc:
        pytest.fail(f"service {service}: `{shlex.join(argv)}` is not a pitstop command: {exc}")
    assert len(path) >= 2


def test_cli_resolution_refuses_unknown_commands():
    assert resolve_cli(["db", "upgrade"]) == ["pitstop", "db", "upgrade"]
    for argv in (["no-such-command"], ["db"], ["db", "upgrade", "--no-such-option"]):
        with pytest.raises(CliError):
            resolve_cli(argv)


def test_images_are_pinned_and_own_services_share_one_build():
    for name, service in SERVICES.items():
        assert service.get("image"), f"{name} has no image"
        if "build" not in service:
            assert not service["image"].endswith(":latest") and ":" in service["image"], name
    builds = {yaml.safe_dump(SERVICES[name]["build"]) for name in OWN}
    assert len(builds) == 1 and {SERVICES[name]["image"] for name in OWN} == {"pitstop:latest"}
    assert SERVICES["migrate"]["command"] == ["db", "upgrade"]
    tag = SERVICES["timescaledb"]["image"].split(":")[1]
    assert re.fullmatch(r"2\.\d+\.\d+-pg1[67]", tag), "TimescaleDB on PostgreSQL 16 or 17"
    assert SERVICES["mosquitto"]["image"].startswith("eclipse-mosquitto:2")


def test_dependencies_are_consistent():
    for name, service in SERVICES.items():
        for target, rule in service.get("depends_on", {}).items():
            assert target in SERVICES, f"{name} depends on unknown {target}"
            condition = rule["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in SERVICES[target], f"{target} has no healthcheck"
            elif condition == "service_completed_successfully":
                assert SERVICES[target].get("restart") == "no", f"{target} is not one-shot"
            else:
                assert condition == "service_started"
            assert not set(SERVICES[target].get("profiles", [])) - set(
                service.get("profiles", [])
            ), f"{name} depends on {target}, which is only in a profile"
        env = service.get("environment", {})
        if "PITSTOP_DATABASE_URL" in env and name != "migrate":
            assert service["depends_on"]["migrate"]["condition"] == (
                "service_completed_successfully"
            )
        if "PITSTOP_MQTT_URL" in env and name != "diagnostics":
            assert service["depends_on"]["mosquitto"]["condition"] == "service_healthy"

    def visit(name: str, seen: tuple[str, ...]) -> None:
        assert name not in seen, f"dependency cycle: {' -> '.join((*seen, name))}"
        for target in SERVICES[name].get("depends_on", {}):
            visit(target, (*seen, name))

    for name in SERVICES:
        visit(name, ())
    for test in (s["healthcheck"]["test"] for s in SERVICES.values() if "healthcheck" in s):
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) >= 2


@pytest.mark.parametrize("service", OWN)
def test_environment_is_real_settings_pointing_at_real_services(service):
    env = environment(service)
    fields = set(Settings.model_fields)
    for key in env:
        assert key.startswith("PITSTOP_") and key[8:].lower() in fields, f"{key} is no setting"
    settings = Settings(**{key[8:].lower(): value for key, value in env.items()})
    if settings.database_url:
        assert urlsplit(settings.database_url).hostname in SERVICES
    if settings.mqtt_url:
        url = broker.MqttUrl.parse(settings.mqtt_url)
        assert url.host in SERVICES and url.username and url.password


def test_production_refuses_to_start_without_a_secret():
    with pytest.raises(KeyError, match="PITSTOP_JWT_SECRET"):
        environment("api", env={})


def test_bind_mounts_exist_in_the_repository():
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in COMPOSE["volumes"], f"{name} uses undeclared volume {source}"


def test_dockerfile_installs_the_project():
    steps = dockerfile()
    bases = [args for op, args in steps if op == "FROM"]
    assert re.match(r"python:3\.(1[1-9])", bases[-1]), "the runtime image needs Python 3.11+"
    runs = " ".join(args for op, args in steps if op == "RUN")
    assert re.search(r"pip install [^&]*-r requirements/run\.lock", runs), "from the lock"
    assert re.search(r"pip install [^&]*--no-deps[^&]* \.(\s|$)", runs), "and nothing else"
    assert ("COPY", ". .") in steps
    assert entrypoint() == ["pitstop"]
    assert any(op == "USER" for op, _ in steps), "services must not run as root"
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    readme = PYPROJECT["project"].get("readme")
    if readme:
        assert (ROOT / readme).is_file(), f"pyproject.toml names {readme}; pip wheel . needs it"
    needed = ["pyproject.toml", "requirements/run.lock", *([readme] if readme else [])] + [
        f"{package.rstrip('*')}/__init__.py"
        for package in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]
    ]
    for path in needed:
        hits = [p for p in ignored if fnmatch.fnmatch(path, p) or path.startswith(p + "/")]
        assert not hits, f".dockerignore drops {path}, which the image needs"


def _mosquitto_config(tmp_path: Path, port: int) -> Path:
    """The deploy config with container paths and port rewritten for this machine."""
    for name in ("passwd", "acl"):
        shutil.copy(ROOT / "deploy/mosquitto" / name, tmp_path / name)
        (tmp_path / name).chmod(0o600)
    (tmp_path / "data").mkdir()
    text = (ROOT / "deploy/mosquitto/mosquitto.conf").read_text()
    text = text.replace("/mosquitto/config/", f"{tmp_path}/").replace(
        "/mosquitto/data/", f"{tmp_path}/data/"
    )
    text = re.sub(r"^listener 1883$", f"listener {port} 127.0.0.1", text, flags=re.M)
    assert f"listener {port}" in text
    if os.geteuid() == 0:  # as root, mosquitto would switch to a user that cannot read tmp_path
        text += "\nuser root\n"
    config = tmp_path / "mosquitto.conf"
    config.write_text(text)
    return config


def test_mosquitto_limits_match_the_local_broker():
    text = (ROOT / "deploy/mosquitto/mosquitto.conf").read_text()
    setting = dict(
        line.split(None, 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    assert setting["allow_anonymous"] == "false"
    assert setting["persistence"] == "true"
    assert int(setting["max_queued_messages"]) == broker.MOSQUITTO_QUEUE_LIMIT
    assert int(setting["max_inflight_messages"]) == broker.MOSQUITTO_INFLIGHT_LIMIT
    from core.wire import MAX_PAYLOAD_BYTES

    assert int(setting["max_packet_size"]) > MAX_PAYLOAD_BYTES


def _client(port: int, username: str | None, password: str | None, client_id: str):
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    if username:
        client.username_pw_set(username, password)
    connected: queue.Queue = queue.Queue()
    client.on_connect = lambda c, u, f, reason, p: connected.put(reason)
    received: queue.Queue = queue.Queue()
    client.on_message = lambda c, u, msg: received.put((msg.topic, msg.payload))
    client.connect("127.0.0.1", port)
    client.loop_start()
    reason = connected.get(timeout=10)
    return client, reason, received


@pytest.mark.skipif(shutil.which("mosquitto") is None, reason="mosquitto is not installed")
def test_mosquitto_config_runs_and_its_acl_keeps_cars_apart(tmp_path, unique_prefix):
    import subprocess

    port = broker.free_port()
    config = _mosquitto_config(tmp_path, port)
    log = open(tmp_path / "mosquitto.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=log, stderr=log)
    clients = []
    try:
        broker.wait_for_port("127.0.0.1", port)
        anonymous, reason, _ = _client(port, None, None, f"anon-{unique_prefix}")
        clients.append(anonymous)
        assert reason.is_failure, "anonymous clients must be refused"

        ingest_url = broker.MqttUrl.parse(environment("ingest")["PITSTOP_MQTT_URL"])
        ingest, reason, received = _client(
            port, ingest_url.username, ingest_url.password, f"ingest-{unique_prefix}"
        )
        clients.append(ingest)
        assert not reason.is_failure, f"ingest's compose credentials were refused: {reason}"
        subscribed: queue.Queue = queue.Queue()
        ingest.on_subscribe = lambda c, u, mid, codes, p: subscribed.put(codes)
        ingest.subscribe("$share/ingest/pitstop/v1/+/telemetry", qos=1)
        assert not subscribed.get(timeout=10)[0].is_failure

        vin = "LSVAX60E1N2000001"  # the demo car in deploy/mosquitto/passwd
        car, reason, _ = _client(port, vin, "car-dev-password", vin)
        clients.append(car)
        assert not reason.is_failure
        other = "LFV2A21K6R3000042"
        car.publish(topic(other, "telemetry"), b"not mine", qos=1).wait_for_publish(10)
        car.publish(topic(vin, "telemetry"), b"mine", qos=1).wait_for_publish(10)
        assert received.get(timeout=10) == (topic(vin, "telemetry"), b"mine")
        assert received.empty(), "a car published into another car's subtree"
    finally:
        for client in clients:
            client.loop_stop()
            client.disconnect()
        process.terminate()
        process.wait(10)
        log.close()

"""The README's two commands: CI runs both as written; the demo works from a fresh clone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from core.broker import free_port

ROOT = Path(__file__).resolve().parent.parent
DEMO_SECONDS = 30


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", text, re.S)]


def test_readme_opens_with_run_and_test_commands():
    run, test = readme_commands()[:2]
    ci = (ROOT / ".ci" / "run").read_text()
    install, _, start = run.rpartition(" && ")
    assert start == ".venv/bin/pitstop demo"
    assert "requirements/run.lock" in install and "[" not in install, "no extras, from the lock"
    assert install in ci.splitlines(), "CI must run the README's first command as written"
    assert test == "scripts/test"
    assert any(line.endswith(" scripts/test") for line in ci.splitlines()), ci


def test_the_locks_pin_every_dependency_with_hashes():
    for lock in ("run.lock", "test.lock"):
        text = (ROOT / "requirements" / lock).read_text()
        pins = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ ", text, re.M)
        assert len(pins) > 50, lock
        unhashed = re.findall(r"^\S+==\S+\n", text, re.M)
        assert not unhashed, f"{lock}: {unhashed[:3]}"
    run = (ROOT / "requirements" / "run.lock").read_text()
    test = (ROOT / "requirements" / "test.lock").read_text()
    for pin in re.findall(r"^\S+==\S+", run, re.M):
        assert re.search(rf"^{re.escape(pin)}\b", test, re.M), f"{pin} differs in test.lock"


def test_demo_runs_from_a_fresh_clone(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PITSTOP_") or key.startswith("PITSTOP_TEST_")
    }
    env.update(
        PYTHONPATH=str(clone),
        PITSTOP_HOME=str(tmp_path / "home"),
        PITSTOP_API_PORT=str(free_port()),
        PITSTOP_INGEST_METRICS_PORT="0",
        PITSTOP_CONFIG=os.devnull,
    )
    where = subprocess.run(
        [sys.executable, "-c", "import cli, core; print(cli.__file__, core.__file__)"],
        cwd=clone, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert all(path.startswith(str(clone)) for path in where.stdout.split()), where.stdout

    demo = subprocess.run(
        [sys.executable, "-m", "cli", "demo", "--seconds", str(DEMO_SECONDS), "--cars", "5"],
        cwd=clone, env=env | {"COLUMNS": "160"}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, output[-4000:]
    rows = re.search(r"([\d,]+) samples from (\d+) of 5 cars", output)
    assert rows, output[-4000:]
    assert int(rows.group(1).replace(",", "")) > 0 and rows.group(2) == "5", rows.group(0)
    log = tmp_path / "home" / "logs" / "demo.log"
    assert f"logs: {log}" in output.replace("\n", "")
    assert " INFO " in log.read_text(), "the processes' logs go to the file"
    for noise in (" INFO ", "Warning", "Traceback"):
        assert noise not in output, output[-4000:]
    assert len(output.splitlines()) < 40, output

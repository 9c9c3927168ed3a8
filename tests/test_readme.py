"""The README's two commands: CI runs the second; the first works from a fresh clone."""

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
    assert run.endswith("pitstop demo")
    assert "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text(), "CI must run the README's test command"


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
        cwd=clone, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, output[-4000:]
    rows = re.search(r"telemetry rows: (\d+) from (\d+) cars", output)
    assert rows, output[-4000:]
    assert int(rows.group(1)) > 0 and int(rows.group(2)) == 5, rows.group(0)

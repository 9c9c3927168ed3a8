"""The console's chart library is vendored by scripts/vendor at a pinned version: the committed
files match the sha256 pins written in that script, the console serves them itself, and no page
of the console refers to anything outside its own origin."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import httpx

pytest_plugins = ("tests.console_support",)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "vendor"
STATIC = ROOT / "api" / "console" / "static"
VENDOR = STATIC / "vendor"
# What may look like a URL without being one the browser loads: the SVG and XHTML namespaces.
NAMESPACES = ("http://www.w3.org/",)
EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.I)


def _pins() -> dict[str, str]:
    """vendored file name -> sha256, as scripts/vendor records them."""
    block = re.search(r"FILES=\((.*?)\n\)", SCRIPT.read_text(), re.S)
    assert block, "scripts/vendor has no FILES=( ... ) list"
    pins = {}
    for line in re.findall(r'"([^"]+)"', block.group(1)):
        name, _source, digest = line.split()
        pins[name] = digest
    return pins


def test_vendored_files_match_the_pins_in_the_vendor_script():
    pins = _pins()
    assert {"uPlot.esm.js", "uPlot.min.css", "uPlot.LICENSE"} <= pins.keys()
    assert re.search(r"^UPLOT_VERSION=\d+\.\d+\.\d+$", SCRIPT.read_text(), re.M)
    assert re.search(r"^UPLOT_TARBALL_SHA256=[0-9a-f]{64}$", SCRIPT.read_text(), re.M)
    for name, digest in pins.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert sorted(p.name for p in VENDOR.iterdir()) == sorted(pins)
    assert "MIT License" in (VENDOR / "uPlot.LICENSE").read_text()
    check = subprocess.run([str(SCRIPT), "--check"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr


def test_the_vendor_script_catches_a_hand_edit(tmp_path):
    copy = tmp_path / "repo"
    (copy / "scripts").mkdir(parents=True)
    (copy / "scripts" / "vendor").write_bytes(SCRIPT.read_bytes())
    (copy / "scripts" / "vendor").chmod(0o755)
    target = copy / "api" / "console" / "static" / "vendor"
    target.mkdir(parents=True)
    for file in VENDOR.iterdir():
        (target / file.name).write_bytes(file.read_bytes())
    run = [str(copy / "scripts" / "vendor"), "--check"]
    assert subprocess.run(run, capture_output=True, check=False).returncode == 0
    with (target / "uPlot.esm.js").open("a") as edited:
        edited.write("\n// a hand edit\n")
    failed = subprocess.run(run, capture_output=True, text=True, check=False)
    assert failed.returncode != 0 and "uPlot.esm.js" in failed.stderr


def test_no_console_file_refers_to_another_origin():
    for file in STATIC.rglob("*"):
        if file.suffix not in (".html", ".js", ".css"):
            continue
        text = file.read_text()
        for namespace in NAMESPACES:
            text = text.replace(namespace, "")
        found = EXTERNAL.findall(text) if file.parent != VENDOR else []
        assert not found, f"{file.relative_to(ROOT)} refers to {found}"
        if file.suffix in (".html", ".css"):
            assert not re.search(
                r"""(?:src|href)=["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", text
            ), file


def test_the_console_serves_the_vendored_library_itself(console_world):
    base = console_world["url"]
    index = httpx.get(f"{base}/console/").text
    assert 'href="vendor/uPlot.min.css"' in index
    module = httpx.get(f"{base}/console/vendor/uPlot.esm.js")
    assert module.status_code == 200
    assert module.headers["content-type"].startswith("text/javascript")
    assert hashlib.sha256(module.content).hexdigest() == _pins()["uPlot.esm.js"]
    chart = httpx.get(f"{base}/console/js/chart.js").text
    assert 'from "../vendor/uPlot.esm.js"' in chart

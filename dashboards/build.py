"""Build the dashboards to JSON for Grafana's file provisioning: `python -m dashboards.build`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from dashboards.fleet import fleet_overview
from dashboards.management import management
from dashboards.parts import parts
from dashboards.pipeline import pipeline
from dashboards.sales import sales
from dashboards.service import service
from dashboards.vehicle import vehicle

# File name (without .json) -> the function that builds the dashboard.
DASHBOARDS: dict[str, Callable[[], Dashboard]] = {
    "fleet-overview": fleet_overview,
    "management-overview": management,
    "service": service,
    "parts": parts,
    "sales": sales,
    "vehicle-detail": vehicle,
    "pipeline-health": pipeline,
}
OUTPUT = Path("deploy/grafana/dashboards")


def render(name: str) -> dict:
    """The dashboard model as Grafana's JSON (a dict)."""
    model = json.loads(json.dumps(DASHBOARDS[name]().build(), cls=JSONEncoder))
    # Stable panel ids keep links and Grafana's saved panel state valid across rebuilds.
    for number, panel in enumerate(model.get("panels", []), start=1):
        panel["id"] = panel.get("id") or number  # the SDK gives rows id 0
    return model


def render_text(name: str) -> str:
    """The committed file content of one dashboard: stable key order, one trailing newline."""
    return json.dumps(render(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stale_files(root: Path) -> list[Path]:
    """Built dashboards under root whose content differs from a fresh build."""
    return [
        path
        for name in DASHBOARDS
        if not (path := root / OUTPUT / f"{name}.json").exists()
        or path.read_text(encoding="utf-8") != render_text(name)
    ]


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) every dashboard's JSON file."""
    parser = argparse.ArgumentParser(prog="python -m dashboards.build", description=__doc__)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--check", action="store_true", help="fail when a file is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.root)
        for path in stale:
            print(f"stale: {path}; run python -m dashboards.build", file=sys.stderr)
        return 1 if stale else 0
    (args.root / OUTPUT).mkdir(parents=True, exist_ok=True)
    for name in DASHBOARDS:
        path = args.root / OUTPUT / f"{name}.json"
        path.write_text(render_text(name), encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

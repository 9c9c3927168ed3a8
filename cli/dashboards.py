"""`pitstop dashboards`: build the Grafana dashboards as code, or push them to a Grafana.

Both need the optional Grafana extra; this module imports it only when a command runs, so
that `pitstop --help` works without it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

dashboards_app = typer.Typer(
    # rich would read [grafana] as markup without the backslash
    help="Grafana dashboards as code (needs: pip install 'pitstop\\[grafana]').",
    no_args_is_help=True,
)
EXTRA = "pip install 'pitstop[grafana]'"


def _require(*modules: str) -> None:
    """Stop with a clear message when a module of the Grafana extra is missing."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            typer.echo(f"{module} is not installed; the dashboards need it: {EXTRA}", err=True)
            raise typer.Exit(2) from None


@dashboards_app.command("build")
def build(
    check: Annotated[bool, typer.Option("--check", help="Fail when a file is stale.")] = False,
    root: Annotated[Path | None, typer.Option("--root", help="Project root.")] = None,
) -> None:
    """Write every dashboard's JSON to deploy/grafana/dashboards (or check it is fresh)."""
    _require("grafana_foundation_sdk")
    from dashboards.build import main

    argv = (["--check"] if check else []) + (["--root", str(root)] if root else [])
    raise typer.Exit(main(argv))


@dashboards_app.command("push")
def push(
    url: Annotated[
        str, typer.Option("--url", envvar="GRAFANA_URL", help="e.g. http://localhost:3000")
    ],
    token: Annotated[
        str | None, typer.Option("--token", envvar="GRAFANA_TOKEN", help="A service-account token.")
    ] = None,
    folder_uid: Annotated[
        str | None, typer.Option("--folder-uid", help="Default: pitstop.")
    ] = None,
) -> None:
    """Upload every dashboard to a running Grafana, into the Pitstop folder (overwriting)."""
    _require("grafana_foundation_sdk", "grafana_client")
    from dashboards import push as pusher

    try:
        pushed = pusher.push(url, token, folder_uid or pusher.FOLDER_UID)
    except OSError as exc:  # requests' connection errors are OSErrors
        typer.echo(f"cannot reach Grafana at {url}: {exc}", err=True)
        raise typer.Exit(1) from None
    for address in pushed:
        typer.echo(f"pushed {address}")

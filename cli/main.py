"""`pitstop`: one command with a subcommand per part of the system.

Each subcommand's module is light; the part itself (FastAPI, scikit-learn, the simulator, …)
is imported only when that subcommand runs.
"""

from __future__ import annotations

import logging

import typer

from api.forecasts.cli import forecasts_app
from api.kpis.cli import kpis_app
from api.proactive.cli import worker, wrong_kits
from bench.cli import bench_app
from cli.api import api
from cli.cars import cars_app
from cli.dashboards import dashboards_app
from cli.db import db_app
from cli.demo import demo
from cli.edge import edge
from diagnostics.cli import diagnostics_app
from ingest.cli import ingest
from simulators.cli import simulate

app = typer.Typer(help="Pitstop: connected-car after-sales platform.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(bench_app, name="bench", no_args_is_help=True)
app.add_typer(diagnostics_app, name="diagnostics")
diagnostics_app.command("wrong-kits")(wrong_kits)
app.add_typer(cars_app, name="cars")
app.add_typer(kpis_app, name="kpis")
app.add_typer(forecasts_app, name="forecasts")
app.add_typer(dashboards_app, name="dashboards")
app.command("demo")(demo)
app.command("ingest")(ingest)
app.command("simulate")(simulate)
app.command("edge")(edge)
app.command("api")(api)
app.command("worker")(worker)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug detail.")):
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

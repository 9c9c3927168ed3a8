"""`pitstop`: one command with a subcommand per part of the system."""

from __future__ import annotations

import logging

import typer

from cli.demo import demo
from cli.services import resolve_database_url

app = typer.Typer(help="Pitstop: connected-car after-sales platform.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.command("demo")(demo)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug detail.")):
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads", help="Alembic revision")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from core.db.migrate import upgrade

    upgrade(resolve_database_url(), revision)
    typer.echo(f"database upgraded to {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Alembic revision, or 'base'")) -> None:
    """Revert migrations down to REVISION."""
    from core.db.migrate import downgrade

    downgrade(resolve_database_url(), revision)
    typer.echo(f"database downgraded to {revision}")


from ingest.bench import bench_ingest  # noqa: E402
from ingest.cli import ingest  # noqa: E402

app.command("ingest")(ingest)
bench_app.command("ingest")(bench_ingest)

from simulators.cli import simulate  # noqa: E402

app.command("simulate")(simulate)

from edge_agent.cli import edge  # noqa: E402

app.command("edge")(edge)

from api.cli import api  # noqa: E402

app.command("api")(api)

from diagnostics.cli import diagnostics_app  # noqa: E402

app.add_typer(diagnostics_app, name="diagnostics")

from diagnostics.bench import bench_diagnostics  # noqa: E402

bench_app.command("diagnostics")(bench_diagnostics)

from api.proactive.cli import worker  # noqa: E402

app.command("worker")(worker)

from api.proactive.bench import bench_proactive  # noqa: E402

bench_app.command("proactive")(bench_proactive)

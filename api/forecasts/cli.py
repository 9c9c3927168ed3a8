"""`pitstop forecasts run`: make every store's forecasts now and print their back-tests."""

from __future__ import annotations

import typer

forecasts_app = typer.Typer(help="Sales, parts and churn forecasts.", no_args_is_help=True)


@forecasts_app.command("run")
def run() -> None:
    """Forecast sales, parts demand and churn for every store (the worker does this daily)."""
    from api.db import migrated_database, transaction
    from api.forecasts.service import run_all

    with transaction(migrated_database()) as session:
        report = run_all(session)
        for run in report.runs:
            test = run.backtest
            where = f"warehouse {run.warehouse_id}" if run.warehouse_id else ""
            typer.echo(
                f"store {run.store_id} {run.kind} {where}: {run.method};"
                f" {test['error']} {_figure(test)}"
            )
    for line in report.skipped:
        typer.echo(f"skipped {line}")


def _figure(test: dict) -> str:
    if test["error"] == "AUC":
        return f"{test['auc']:.3f} on {int(test['held_out'])} held-out customers"
    return (
        f"{test['pooled'][_chosen(test)]:.3f}, {test['relative_to_baseline']:.2f}× the baseline"
        f" ({test['series']} series, {test['windows']} origins)"
    )


def _chosen(test: dict) -> str:
    return min(
        (m for m in test["pooled"] if m not in ("seasonal_naive", "naive")),
        key=lambda m: test["pooled"][m],
    )

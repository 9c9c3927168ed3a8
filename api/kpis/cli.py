"""`pitstop kpis`: refresh the KPI rollups, and write docs/kpis.md."""

from __future__ import annotations

import typer

kpis_app = typer.Typer(help="KPI rollups and definitions.", no_args_is_help=True)


@kpis_app.command("refresh")
def refresh(
    full: bool = typer.Option(False, "--full", help="Rebuild every day, not only changed ones."),
    days: int = typer.Option(3 * 366, min=1, max=20 * 366, help="Days a full build covers."),
) -> None:
    """Bring the KPI rollups up to date (the worker does this every few minutes)."""
    from api.db import migrated_database, transaction
    from api.kpis.rollup import refresh as run

    with transaction(migrated_database()) as session:
        report = run(session, full=full, days=days)
    rebuilt = sum(report.store_days.values())
    typer.echo(f"rebuilt {rebuilt} store days ({report.facts} sums) in {report.seconds:.1f} s")


@kpis_app.command("docs")
def docs() -> None:
    """Write docs/kpis.md from the definitions."""
    from api.kpis.docs import main

    main()

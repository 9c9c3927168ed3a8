"""`pitstop api`: serve the dealer-management API with uvicorn."""

from __future__ import annotations

import logging

import typer

log = logging.getLogger(__name__)


def api(
    host: str | None = typer.Option(None, help="Listen address (default: settings.api_host)"),
    port: int | None = typer.Option(None, help="Listen port (default: settings.api_port)"),
    seed: bool = typer.Option(
        False,
        "--seed",
        help="Load the demo dealer group first (VINs of cars that reported), with two years of "
        "business history, and refresh the KPI rollups",
    ),
    ssl_certfile: str | None = typer.Option(None, help="Serve HTTPS with this PEM certificate"),
    ssl_keyfile: str | None = typer.Option(None, help="The certificate's PEM private key"),
) -> None:
    """Serve the API on the configured database, after bringing its schema up to date."""
    import uvicorn

    from api.main import create_app
    from core.db.embedded import resolve_database_url
    from core.db.migrate import upgrade
    from core.settings import get_settings

    settings = get_settings()
    url = resolve_database_url()
    upgrade(url)
    app = create_app(settings.model_copy(update={"database_url": url}))
    if seed:
        from demo.world import DEMO_HISTORY_DAYS, fleet_vins, refresh_kpis, seed_demo

        with app.state.session_factory.begin() as session:
            report = seed_demo(session, fleet_vins(session), history_days=DEMO_HISTORY_DAYS)
        log.info("demo data: %s", report)
        with app.state.session_factory.begin() as session:
            refreshed = refresh_kpis(session)
        log.info("KPI rollups refreshed in %.1f s (%d facts)", refreshed.seconds, refreshed.facts)
    uvicorn.run(
        app,
        host=host or settings.api_host,
        port=port or settings.api_port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )

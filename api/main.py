"""The FastAPI application, built by a factory: nothing connects or reads settings at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from api.auth.policy import unlisted_routes
from api.console.router import router as console_router
from api.db import make_engine, make_session_factory
from api.deps import authorize
from api.domains import routers
from api.errors import ERROR_RESPONSES, install_error_handlers
from api.limits import BodySizeLimit
from api.models_base import load_all_models
from api.streams import close_hubs
from core.settings import Settings, get_settings

DESCRIPTION = """Pitstop dealer management (4S): CRM, sales, parts and service, on the same
database as the connected-car telemetry. Sign in at `/auth/token` (OAuth2 password flow).
Errors answer in zh-CN or en after `Accept-Language`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API app for the settings (default: the process settings); needs a database URL."""
    settings = settings or get_settings()
    if not settings.database_url:
        raise ValueError(
            "create_app needs settings.database_url; `pitstop api` resolves one (embedded "
            "PostgreSQL when PITSTOP_DATABASE_URL is unset)"
        )
    load_all_models()
    engine = make_engine(settings.database_url)
    read_engine = make_engine(settings.database_read_url) if settings.database_read_url else engine

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await close_hubs(app)
        engine.dispose()
        read_engine.dispose()

    app = FastAPI(
        title="Pitstop API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.read_session_factory = make_session_factory(read_engine)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    for router in routers():
        app.include_router(router, responses=ERROR_RESPONSES, dependencies=[Depends(authorize)])
    app.include_router(console_router)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    unlisted = unlisted_routes(operations(app))
    if unlisted:
        raise RuntimeError(f"routes missing from api/auth/policy.py ROUTES: {unlisted}")
    return app


def operations(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the app's OpenAPI document."""
    methods = ("get", "put", "post", "delete", "patch")
    paths = app.openapi()["paths"]
    return [(m.upper(), path) for path, item in paths.items() for m in item if m in methods]

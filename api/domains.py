"""The domain packages of the API. A new domain plugs in by adding its name here.

Each name is a package `api.<name>` with `models.py` (its tables, on `Base.metadata`) and
`router.py` (an `APIRouter` called `router`); see docs/architecture.md for the other file roles.
Order is the order of the OpenAPI tags.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

from fastapi import APIRouter

DOMAINS: tuple[str, ...] = (
    "auth", "crm", "telemetry", "audit", "sales", "parts", "purchasing", "workshop",
    "work_orders", "feedback", "alerts", "proactive", "notifications", "kpis", "forecasts",
    "alarms",
)  # fmt: skip


def import_models() -> None:
    """Import every domain's models modules (registers their tables on Base.metadata)."""
    for name in DOMAINS:
        package = import_module(f"api.{name}")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name == "models" or module.name.endswith("_models"):
                import_module(f"api.{name}.{module.name}")


def routers() -> list[APIRouter]:
    """Every domain's router, in DOMAINS order."""
    return [import_module(f"api.{name}.router").router for name in DOMAINS]

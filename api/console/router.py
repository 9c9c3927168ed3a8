"""Serve the web console's static files at /console, and the reference tables it reads.

The console is a single page (hash routes), so only files under `static/` are served. Every
answer carries a strict Content-Security-Policy: scripts, styles and connections stay on this
origin, and nothing is inline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse

from api.errors import NotFound
from api.state_machine import StateMachine
from api.work_orders.constants import WAITS
from api.work_orders.states import WORK_ORDER
from api.workshop.states import APPOINTMENT
from core.signals import SIGNALS
from diagnostics.modes import FAILURE_MODES

STATIC = Path(__file__).parent / "static"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # Revalidate every time: a deploy must never leave a browser on stale modules.
    "Cache-Control": "no-cache",
}

# python-OBD (pint) unit names as people write them.
UNIT_SYMBOLS = {
    "revolutions_per_minute": "rpm",
    "kilometer_per_hour": "km/h",
    "percent": "%",
    "degree_Celsius": "°C",
    "gps": "g/s",
    "volt": "V",
    "second": "s",
    "kilometer": "km",
}

router = APIRouter(prefix="/console", include_in_schema=False)


def _machine(machine: StateMachine) -> dict[str, Any]:
    return {
        "states": list(machine.states),
        "initial": machine.initial,
        "transitions": [
            {
                "from": t.source,
                "to": t.target,
                "reason": t.requires_reason,
                "roles": sorted(machine.roles_for(t.source, t.target)),
            }
            for t in machine.transitions
        ],
    }


def reference() -> dict[str, Any]:
    """State machines (buttons offer only the steps the policy lets the role take), failure
    modes and signals."""
    return {
        "work_order": _machine(WORK_ORDER),
        "appointment": _machine(APPOINTMENT),
        "waits": {name: list(spec["reasons"]) for name, spec in WAITS.items()},
        "failure_modes": {mode: {"zh": zh, "en": en} for mode, (en, zh) in FAILURE_MODES.items()},
        "signals": [
            {
                "name": s.name,
                "unit": UNIT_SYMBOLS.get(s.unit, s.unit),
                "zh": s.zh,
                "en": s.en,
                "min": s.minimum,
                "max": s.maximum,
            }
            for s in SIGNALS
        ],
    }


def static_file(path: str) -> Path:
    """The file under STATIC for a request path, or NotFound (never outside STATIC)."""
    candidate = (STATIC / path).resolve()
    if (
        not candidate.is_relative_to(STATIC.resolve())
        or candidate.suffix not in MEDIA_TYPES
        or not candidate.is_file()
    ):
        raise NotFound(entity="console file", id=path)
    return candidate


@router.get("")
def console_root() -> RedirectResponse:
    """The console lives at /console/ (relative module paths need the slash)."""
    return RedirectResponse("/console/", status_code=307)


@router.get("/")
def console_index() -> FileResponse:
    """The console's single page."""
    return _file(STATIC / "index.html")


@router.get("/reference.json")
def console_reference() -> JSONResponse:
    """The tables the console reads: state machines, failure modes and signals."""
    return JSONResponse(reference(), headers=SECURITY_HEADERS)


@router.get("/{path:path}")
def console_file(path: str) -> FileResponse:
    """A static file of the console."""
    return _file(static_file(path))


def _file(path: Path) -> FileResponse:
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=SECURITY_HEADERS)

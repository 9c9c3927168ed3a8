"""Where the database and broker are: the configured URL, or an embedded service started here."""

from __future__ import annotations

import logging

from core.settings import get_settings

log = logging.getLogger(__name__)


def resolve_database_url() -> str:
    """PITSTOP_DATABASE_URL, or embedded PostgreSQL under PITSTOP_HOME when it is unset."""
    settings = get_settings()
    if settings.database_url:
        return settings.database_url
    from core.db.embedded import start_embedded_postgres

    return start_embedded_postgres(settings.home)

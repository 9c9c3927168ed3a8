"""SQL scripts for the benchmarks' scratch worlds."""

from __future__ import annotations

import psycopg


def run_script(conn: psycopg.Connection, script: str, params: dict | None = None) -> None:
    """Each statement of a script in turn (a parameterised query holds one statement)."""
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement, params)

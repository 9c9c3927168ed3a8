"""Bulk writing for the long history: ids taken ahead from the tables' identity sequences,
multi-row inserts, and audit rows for a whole path, checked by demo.history.walk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.audit.models import StateTransition
from api.state_machine import StateMachine
from demo.history import walk


def take_ids(session: Session, table: str, count: int) -> list[int]:
    """`count` fresh ids of the table's identity column, so rows can name each other."""
    if count <= 0:
        return []
    return list(
        session.scalars(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
    )


def insert_rows(session: Session, model: Any, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert the rows (dicts of attribute values) with COPY; returns how many.

    `model` is a mapped class, or a table name whose rows are keyed by column name.
    """
    if not rows:
        return 0
    keys = list(dict.fromkeys(k for row in rows[:50] for k in row))
    if isinstance(model, str):
        table, columns = model, keys
    else:
        attrs = model.__mapper__.attrs
        table, columns = model.__tablename__, [attrs[k].columns[0].name for k in keys]
    cursor = session.connection().connection.driver_connection.cursor()
    names = ", ".join(f'"{c}"' for c in columns)
    json_keys = {k for k in keys for row in rows[:50] if _is_json(row.get(k))}
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            values = [row.get(k) for k in keys]
            if json_keys:
                values = [
                    Jsonb(v) if k in json_keys and v is not None else v
                    for k, v in zip(keys, values, strict=True)
                ]
            copy.write_row(values)
    return len(rows)


def _is_json(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and isinstance(value[0], dict)
    )


class Ids:
    """Ids of one table, taken from its sequence a block at a time."""

    def __init__(self, session: Session, table: str) -> None:
        self.session, self.table, self.block = session, table, []

    def __call__(self) -> int:
        if not self.block:
            self.block = take_ids(self.session, self.table, 500)[::-1]
        return self.block.pop()


class Audit:
    """Collects audit rows of seeded records; every path is checked against its machine."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.checked: dict[tuple, list[tuple[str | None, str, str | None]]] = {}

    def path(
        self,
        machine: StateMachine,
        entity_id: int,
        store_id: int | None,
        steps: Sequence[tuple[str, datetime]],
        *,
        actor_id: int | None = None,
        reasons: Mapping[str, str] | None = None,
        actors: Mapping[str, int | None] | None = None,
    ) -> str:
        """Log the record's way through `steps` (state, when); returns the final state.

        `actors` names who took the steps into some states, when not `actor_id`."""
        states = tuple(state for state, _ in steps)
        key = (machine.entity_type, states, tuple(sorted((reasons or {}).items())))
        if key not in self.checked:  # walk() checks each distinct path once
            entity = SimpleNamespace(id=0, store_id=None, **{machine.state_attr: states[-1]})
            logged = walk(machine, entity, states, actor_id=None, reasons=reasons)
            self.checked[key] = [(r.from_state, r.to_state, r.reason) for r in logged]
        for (source, target, reason), (_, at) in zip(self.checked[key], steps, strict=True):
            self.rows.append(
                {
                    "entity_type": machine.entity_type,
                    "entity_id": entity_id,
                    "store_id": store_id,
                    "from_state": source,
                    "to_state": target,
                    "reason": reason,
                    "actor_user_id": (actors or {}).get(target, actor_id),
                    "at": at,
                }
            )
        return states[-1]

    def write(self, session: Session) -> int:
        """Insert the collected rows; returns how many."""
        written = insert_rows(session, StateTransition, self.rows)
        self.rows = []
        return written

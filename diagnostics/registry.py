"""The model registry (versioned skops artifacts with their metrics) and feedback labels.

Every function takes the database handle explicitly: a psycopg connection, or a SQLAlchemy
Session or Connection (the service module calls record_outcome inside its own transaction).
None of them commits; the caller owns the transaction.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import skops.io as sio

from diagnostics.learned.inputs import MODEL_NAME

log = logging.getLogger(__name__)

OUTCOMES = ("confirmed", "no_fault_found")
# Only types from these packages may be rebuilt from an artifact; skops refuses anything else.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "builtins.")


class RegistryError(LookupError):
    """No such model, or an artifact that cannot be trusted."""


@dataclass(frozen=True)
class ModelRecord:
    name: str
    version: int
    kind: str
    created_at: datetime
    params: dict
    metrics: dict
    training_data: dict
    active: bool


def _run(db: Any, sql: str, params: dict | None = None) -> list[tuple]:
    """Run SQL written with :name placeholders on psycopg or SQLAlchemy; rows if any."""
    params = params or {}
    if type(db).__module__.startswith("sqlalchemy"):
        from sqlalchemy import text

        result = db.execute(text(sql), params)
        return [tuple(r) for r in result] if result.returns_rows else []
    cur = db.execute(re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql), params)
    return cur.fetchall() if cur.description else []


def dumps(obj: Any) -> bytes:
    """Serialise a model bundle (dicts, lists, numpy arrays, scikit-learn estimators)."""
    return sio.dumps(obj)


def loads(data: bytes) -> Any:
    """Rebuild a bundle from skops bytes, trusting only scikit-learn and numpy types."""
    untrusted = sio.get_untrusted_types(data=data)
    refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise RegistryError(f"artifact holds types outside scikit-learn/numpy: {refused}")
    return sio.loads(data, trusted=untrusted)


def save_model(
    db: Any,
    *,
    name: str,
    kind: str,
    bundle: Any,
    params: dict,
    metrics: dict,
    training_data: dict,
    activate: bool = True,
) -> int:
    """Store a new version of the model; with activate, it becomes the one scoring uses."""
    # Serialise per name so that two trainings cannot pick the same version number.
    _run(db, "SELECT pg_advisory_xact_lock(hashtext(:name))", {"name": name})
    (version,) = _run(
        db,
        "SELECT coalesce(max(version), 0) + 1 FROM model_registry WHERE name = :name",
        {"name": name},
    )[0]
    if activate:
        _run(
            db,
            "UPDATE model_registry SET active = false WHERE name = :name AND active",
            {"name": name},
        )
    _run(
        db,
        """INSERT INTO model_registry
               (name, version, kind, params, metrics, training_data, artifact, active)
           VALUES (:name, :version, :kind, CAST(:params AS jsonb), CAST(:metrics AS jsonb),
                   CAST(:training_data AS jsonb), :artifact, :active)""",
        {
            "name": name,
            "version": version,
            "kind": kind,
            "params": json.dumps(params),
            "metrics": json.dumps(metrics),
            "training_data": json.dumps(training_data),
            "artifact": dumps(bundle),
            "active": activate,
        },
    )
    return version


_RECORD_COLUMNS = "name, version, kind, created_at, params, metrics, training_data, active"


def list_models(db: Any, name: str | None = None) -> list[ModelRecord]:
    """Every stored version (newest first), optionally of one model name."""
    rows = _run(
        db,
        f"SELECT {_RECORD_COLUMNS} FROM model_registry"
        " WHERE (CAST(:name AS text) IS NULL OR name = :name) ORDER BY name, version DESC",
        {"name": name},
    )
    return [ModelRecord(*r) for r in rows]


def load_model(db: Any, name: str, version: int | None = None) -> tuple[ModelRecord, Any]:
    """A version's record and bundle; without a version, the active one."""
    where = "version = :version" if version is not None else "active"
    rows = _run(
        db,
        f"SELECT {_RECORD_COLUMNS}, artifact FROM model_registry WHERE name = :name AND {where}",
        {"name": name, "version": version},
    )
    if not rows:
        which = f"version {version}" if version is not None else "an active version"
        raise RegistryError(f"model {name!r} has no {which}; run `pitstop diagnostics train` first")
    *record, artifact = rows[0]
    return ModelRecord(*record), loads(bytes(artifact))


def activate(db: Any, name: str, version: int) -> None:
    """Make this version the active one (a rollback is activating an older version)."""
    _run(
        db, "UPDATE model_registry SET active = false WHERE name = :name AND active", {"name": name}
    )
    rows = _run(
        db,
        "UPDATE model_registry SET active = true WHERE name = :name AND version = :version"
        " RETURNING version",
        {"name": name, "version": version},
    )
    if not rows:
        raise RegistryError(f"model {name!r} has no version {version}; see list_models")


def record_outcome(
    session_or_conn: Any,
    *,
    vin: str,
    failure_mode: str | None,
    outcome: str,
    work_order_ref: str,
    confirmed_at: datetime,
    notes: str | None = None,
) -> None:
    """Store a closed work order's confirmed cause (or 'no_fault_found') as a training label."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} must be one of {', '.join(OUTCOMES)}")
    if outcome == "confirmed" and not failure_mode:
        raise ValueError("a confirmed outcome needs the failure_mode that was found")
    if outcome == "no_fault_found":
        failure_mode = None
    # A work order that is closed again (corrected) replaces its earlier label.
    _run(
        session_or_conn,
        """INSERT INTO training_labels
               (vin, failure_mode, outcome, confirmed_at, work_order_ref, notes)
           VALUES (:vin, :failure_mode, :outcome, :confirmed_at, :work_order_ref, :notes)
           ON CONFLICT (work_order_ref, vin) DO UPDATE SET
               failure_mode = EXCLUDED.failure_mode, outcome = EXCLUDED.outcome,
               confirmed_at = EXCLUDED.confirmed_at, notes = EXCLUDED.notes""",
        {
            "vin": vin,
            "failure_mode": failure_mode,
            "outcome": outcome,
            "confirmed_at": confirmed_at,
            "work_order_ref": str(work_order_ref),
            "notes": notes,
        },
    )


@dataclass(frozen=True)
class OutcomeLabel:
    vin: str
    failure_mode: str | None  # None: no fault found
    outcome: str
    confirmed_at: datetime
    work_order_ref: str
    notes: str | None


def read_labels(db: Any) -> list[OutcomeLabel]:
    """Every feedback label, oldest first, for the next training run."""
    rows = _run(
        db,
        "SELECT vin, failure_mode, outcome, confirmed_at, work_order_ref, notes"
        " FROM training_labels ORDER BY confirmed_at, id",
    )
    return [OutcomeLabel(*r) for r in rows]


def load_detectors(db: Any) -> list:
    """Scoring detectors for the active learned models (none before the first training)."""
    from diagnostics.learned.detector import ModelDetector  # scikit-learn: only when needed

    try:
        record, bundle = load_model(db, MODEL_NAME)
        return [ModelDetector(bundle, model=record.name, version=record.version)]
    except RegistryError:
        return []
    except ValueError as exc:  # trained on features this code no longer computes
        log.error("%s; scoring with the rules and trouble codes alone until then", exc)
        return []

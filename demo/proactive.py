"""Demo triage policies: the first store books directly, the second leaves proposals."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store
from api.proactive.constants import DEFAULT_RULES
from api.proactive.models import TriagePolicy

APPROVAL_STORES = ("SH-MH",)  # shows the advisor's one-click accept in the demo


def seed_proactive(session: Session, group: DealerGroup, stores: dict[str, Store]) -> int:
    """A default policy for each demo store that has none (idempotent); policies added."""
    have = set(session.scalars(select(TriagePolicy.store_id)))
    added = 0
    for code, store in stores.items():
        if store.id in have:
            continue
        mode = "approval" if code in APPROVAL_STORES else "auto"
        session.add(
            TriagePolicy(store_id=store.id, mode=mode, rules=[dict(r) for r in DEFAULT_RULES])
        )
        added += 1
    session.flush()
    return added

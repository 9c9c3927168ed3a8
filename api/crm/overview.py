"""The customer 360 view, assembled from each domain's own services (no queries of its own).

A section is filled only for the roles that may read it through that domain's endpoints, so
the view never shows more than the caller could find elsewhere.
"""

from __future__ import annotations

from statistics import fmean
from typing import Any

from sqlalchemy.orm import Session

from api.alerts import service as alerts_service
from api.auth.roles import ALL_ROLES, STAFF, Role
from api.auth.scope import Scope
from api.crm import service as crm_service
from api.pagination import MAX_LIMIT, PageParams
from api.sales import service as sales_service
from api.service import feedback, settlement, work_orders
from api.service.dependencies import READERS, SERVICE_DESK
from api.service.work_schemas import SurveyRead

RECENT = 20  # entries per section; the full lists are paged by each domain's own endpoint
SECTION_ROLES: dict[str, frozenset[Role]] = {  # who reads what, as the domains' routes allow
    "recent_interactions": STAFF,  # staff notes of calls and visits
    "purchases": ALL_ROLES,
    "service_history": READERS,
    "invoices": SERVICE_DESK | {Role.customer},
    "open_alerts": STAFF,
    "satisfaction": SERVICE_DESK,
}
OPEN_COMPLAINTS = ("open", "in_progress")


def _may(scope: Scope, section: str) -> bool:
    return scope.role in SECTION_ROLES[section]


def customer_360(
    session: Session, *, scope: Scope, customer_id: int, language: str
) -> dict[str, Any]:
    """The customer with vehicles, interactions, purchases, service, alerts and satisfaction."""
    customer = crm_service.get_customer(session, scope=scope, customer_id=customer_id)
    recent = PageParams(limit=RECENT)
    vehicles = crm_service.list_vehicles(
        session, scope=scope, page=PageParams(limit=MAX_LIMIT), owner_id=customer.id
    ).items
    interactions = []
    if _may(scope, "recent_interactions"):
        interactions = crm_service.list_interactions(
            session, scope=scope, page=recent, customer_id=customer.id
        ).items
    return {
        "customer": customer,
        "vehicles": vehicles,
        "recent_interactions": interactions,
        "purchases": _purchases(session, scope, customer.id),
        "service_history": _service_history(session, scope, customer.id),
        "open_alerts": _open_alerts(session, scope, [v.vin for v in vehicles], language),
        "satisfaction": _satisfaction(session, scope, customer.id),
    }


def _purchases(session: Session, scope: Scope, customer_id: int) -> list[Any]:
    if not _may(scope, "purchases"):
        return []
    return sales_service.list_orders(
        session, scope=scope, page=PageParams(limit=RECENT), customer_id=customer_id
    ).items


def _service_history(session: Session, scope: Scope, customer_id: int) -> list[dict[str, Any]]:
    if not _may(scope, "service_history"):
        return []
    orders = work_orders.list_work_orders(
        session, actor=scope, page=PageParams(limit=RECENT), customer_id=customer_id
    ).items
    invoices = {}
    if orders and _may(scope, "invoices"):
        invoices = settlement.invoices_of(
            session, actor=scope, work_order_ids=[wo.id for wo in orders]
        )
    return [{"work_order": wo, "invoice": invoices.get(wo.id)} for wo in orders]


def _open_alerts(
    session: Session, scope: Scope, vins: list[str], language: str
) -> list[dict[str, Any]]:
    if not _may(scope, "open_alerts"):
        return []
    found: list[dict[str, Any]] = []
    for vin in vins:
        found += alerts_service.list_alerts(
            session,
            scope=scope,
            page=PageParams(limit=RECENT),
            language=language,
            state="active",
            vin=vin,
        ).items
    return sorted(found, key=lambda a: (a["created_at"], a["id"]), reverse=True)[:RECENT]


def _satisfaction(session: Session, scope: Scope, customer_id: int) -> dict[str, Any] | None:
    if not _may(scope, "satisfaction"):
        return None
    recent = PageParams(limit=RECENT)
    answered = feedback.list_surveys(
        session, actor=scope, page=recent, customer_id=customer_id, status="answered"
    )
    surveys = feedback.list_surveys(session, actor=scope, page=recent, customer_id=customer_id)
    complaints = feedback.list_complaints(
        session, actor=scope, page=recent, customer_id=customer_id
    ).items
    open_complaints = sum(
        feedback.list_complaints(
            session, actor=scope, page=PageParams(limit=1), customer_id=customer_id, status=status
        ).total
        for status in OPEN_COMPLAINTS
    )
    scores = [s.csi for s in answered.items if s.csi is not None]
    latest = answered.items[0] if answered.items else None
    return {
        "surveys_answered": answered.total,
        "latest_csi": latest.csi if latest else None,
        "latest_nps": latest.nps if latest else None,
        "average_csi": round(fmean(scores), 2) if scores else None,
        "surveys": [
            SurveyRead.model_validate(s).model_copy(update={"link": feedback.survey_link(s)})
            for s in surveys.items
        ],
        "open_complaints": open_complaints,
        "complaints": complaints,
    }

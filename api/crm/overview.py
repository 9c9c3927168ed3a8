"""The customer 360 view, assembled from each domain's own services (no queries of its own).

A section is filled only for the roles that the policy lets read it through that domain's own
route, so the view never shows more than the caller could find elsewhere.
"""

from __future__ import annotations

from statistics import fmean
from typing import Any

from sqlalchemy.orm import Session

from api.alerts import service as alerts_service
from api.auth import policy
from api.auth.scope import Scope
from api.crm import service as crm_service
from api.feedback import service as feedback
from api.feedback.schemas import SurveyRead
from api.pagination import MAX_LIMIT, PageParams
from api.sales import service as sales_service
from api.work_orders import settlement
from api.work_orders.service import list_work_orders

RECENT = 20  # entries per section; the full lists are paged by each domain's own endpoint
SECTION_ROUTES: dict[str, tuple[str, str]] = {  # the route that lists each section on its own
    "recent_interactions": ("GET", "/crm/interactions"),
    "purchases": ("GET", "/sales/orders"),
    "service_history": ("GET", "/service/work-orders"),
    "invoices": ("GET", "/service/invoices"),
    "open_alerts": ("GET", "/alerts"),
    "satisfaction": ("GET", "/service/surveys"),
}
OPEN_COMPLAINTS = ("open", "in_progress")


def _may(actor: Scope, section: str) -> bool:
    return actor.role in policy.ROUTES[SECTION_ROUTES[section]].roles


def customer_360(
    session: Session, *, actor: Scope, customer_id: int, language: str
) -> dict[str, Any]:
    """The customer with vehicles, interactions, purchases, service, alerts and satisfaction."""
    customer = crm_service.get_customer(session, actor=actor, customer_id=customer_id)
    recent = PageParams(limit=RECENT)
    vehicles = crm_service.list_vehicles(
        session, actor=actor, page=PageParams(limit=MAX_LIMIT), owner_id=customer.id
    ).items
    interactions = []
    if _may(actor, "recent_interactions"):
        interactions = crm_service.list_interactions(
            session, actor=actor, page=recent, customer_id=customer.id
        ).items
    return {
        "customer": customer,
        "vehicles": vehicles,
        "recent_interactions": interactions,
        "purchases": _purchases(session, actor, customer.id),
        "service_history": _service_history(session, actor, customer.id),
        "open_alerts": _open_alerts(session, actor, [v.vin for v in vehicles], language),
        "satisfaction": _satisfaction(session, actor, customer.id),
    }


def _purchases(session: Session, actor: Scope, customer_id: int) -> list[Any]:
    if not _may(actor, "purchases"):
        return []
    return sales_service.list_orders(
        session, actor=actor, page=PageParams(limit=RECENT), customer_id=customer_id
    ).items


def _service_history(session: Session, actor: Scope, customer_id: int) -> list[dict[str, Any]]:
    if not _may(actor, "service_history"):
        return []
    orders = list_work_orders(
        session, actor=actor, page=PageParams(limit=RECENT), customer_id=customer_id
    ).items
    invoices = {}
    if orders and _may(actor, "invoices"):
        invoices = settlement.invoices_of(
            session, actor=actor, work_order_ids=[wo.id for wo in orders]
        )
    return [{"work_order": wo, "invoice": invoices.get(wo.id)} for wo in orders]


def _open_alerts(
    session: Session, actor: Scope, vins: list[str], language: str
) -> list[dict[str, Any]]:
    if not _may(actor, "open_alerts"):
        return []
    found: list[dict[str, Any]] = []
    for vin in vins:
        found += alerts_service.list_alerts(
            session,
            actor=actor,
            page=PageParams(limit=RECENT),
            language=language,
            state="active",
            vin=vin,
        ).items
    return sorted(found, key=lambda a: (a["created_at"], a["id"]), reverse=True)[:RECENT]


def _satisfaction(session: Session, actor: Scope, customer_id: int) -> dict[str, Any] | None:
    if not _may(actor, "satisfaction"):
        return None
    recent = PageParams(limit=RECENT)
    answered = feedback.list_surveys(
        session, actor=actor, page=recent, customer_id=customer_id, status="answered"
    )
    surveys = feedback.list_surveys(session, actor=actor, page=recent, customer_id=customer_id)
    complaints = feedback.list_complaints(
        session, actor=actor, page=recent, customer_id=customer_id
    ).items
    open_complaints = sum(
        feedback.list_complaints(
            session, actor=actor, page=PageParams(limit=1), customer_id=customer_id, status=status
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

"""A failure mode's repair kit, resolved for one car: labour codes and catalogue part ids; and
what a kit booked for the wrong failure mode costs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from api.crm.models import Vehicle
from api.parts.models import Part
from api.proactive.constants import FALLBACK_KIT, REPAIR_KITS, Kit
from api.work_orders.money_rules import pricing_of
from api.workshop.models import LabourOperation


def kit_for(failure_mode: str) -> Kit:
    """The repair kit of a failure mode (a scan and diagnosis when none is set)."""
    return REPAIR_KITS.get(failure_mode, FALLBACK_KIT)


def _part(session: Session, group_id: int, number: str, fits: str | None) -> Part | None:
    stmt = select(Part).where(Part.dealer_group_id == group_id, Part.active.is_(True))
    if "*" in number:
        fitting = case((Part.fits.ilike(f"%{fits}%"), 0), else_=1) if fits else Part.id
        stmt = stmt.where(Part.part_number.like(number.replace("*", "%"))).order_by(
            fitting, Part.id
        )
    else:
        stmt = stmt.where(Part.part_number == number)
    return session.scalar(stmt.limit(1))


def resolve_parts(
    session: Session, *, group_id: int, vehicle: Vehicle, kit: Kit
) -> list[tuple[int, Decimal]]:
    """(part_id, quantity) of the kit's parts for the car; a part not in the catalogue is left
    out (the technician adds it), so a kit never blocks a booking."""
    fits = f"{vehicle.make} {vehicle.model}"
    resolved: list[tuple[int, Decimal]] = []
    for number, quantity in kit.parts:
        part = _part(session, group_id, number, fits)
        if part is not None:
            resolved.append((part.id, Decimal(quantity)))
    return resolved


@dataclass(frozen=True)
class KitCost:
    """One visit's kit at a store's prices: parts at list price, and flat-rate labour."""

    parts: Decimal
    hours: Decimal
    labour: Decimal

    @property
    def total(self) -> Decimal:
        return self.parts + self.labour


@dataclass(frozen=True)
class WrongKit:
    """Alerts of a true failure mode that named another: the wrong kit they booked."""

    true_mode: str
    booked_mode: str
    alerts: int
    each: KitCost

    @property
    def total(self) -> Decimal:
        return self.each.total * self.alerts


def kit_cost(session: Session, *, store_id: int, group_id: int, failure_mode: str) -> KitCost:
    """The mode's kit priced by the group's catalogue and the store's labour rate; a pattern
    part (per car model) is priced by the catalogue's first match."""
    kit = kit_for(failure_mode)
    parts = Decimal(0)
    for number, quantity in kit.parts:
        part = _part(session, group_id, number, None)
        if part is not None:
            parts += part.list_price * quantity
    hours = session.scalar(
        select(func.coalesce(func.sum(LabourOperation.flat_rate_hours), 0)).where(
            LabourOperation.dealer_group_id == group_id,
            LabourOperation.code.in_(kit.operations),
        )
    )
    hours = Decimal(hours)
    return KitCost(parts, hours, hours * pricing_of(session, store_id).labour_rate)


def wrong_kits(
    session: Session, *, store_id: int, group_id: int, confusion: Mapping[str, Mapping[str, int]]
) -> list[WrongKit]:
    """The wrong-mode alerts of an evaluation's confusion table (true mode -> named mode ->
    alerts), priced; the dearest first."""
    wrong = [
        (true, named, n)
        for true, found in confusion.items()
        for named, n in found.items()
        if named != true and n > 0
    ]
    costs = {
        named: kit_cost(session, store_id=store_id, group_id=group_id, failure_mode=named)
        for named in {named for _, named, _ in wrong}
    }  # each kit priced once, however many true modes booked it
    out = [WrongKit(true, named, n, costs[named]) for true, named, n in wrong]
    return sorted(out, key=lambda w: w.total, reverse=True)

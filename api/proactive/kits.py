"""A failure mode's repair kit, resolved for one car: labour codes and catalogue part ids."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from api.crm.models import Vehicle
from api.parts.models import Part
from api.proactive.constants import FALLBACK_KIT, REPAIR_KITS, Kit


def kit_for(failure_mode: str) -> Kit:
    """The repair kit of a failure mode (a scan and diagnosis when none is set)."""
    return REPAIR_KITS.get(failure_mode, FALLBACK_KIT)


def resolve_parts(
    session: Session, *, group_id: int, vehicle: Vehicle, kit: Kit
) -> list[tuple[int, Decimal]]:
    """(part_id, quantity) of the kit's parts for the car; a part not in the catalogue is left
    out (the technician adds it), so a kit never blocks a booking."""
    fits = f"%{vehicle.make} {vehicle.model}%"
    resolved: list[tuple[int, Decimal]] = []
    for number, quantity in kit.parts:
        stmt = select(Part.id).where(Part.dealer_group_id == group_id, Part.active.is_(True))
        if "*" in number:
            stmt = stmt.where(Part.part_number.like(number.replace("*", "%"))).order_by(
                case((Part.fits.ilike(fits), 0), else_=1), Part.id
            )
        else:
            stmt = stmt.where(Part.part_number == number)
        part_id = session.scalar(stmt.limit(1))
        if part_id is not None:
            resolved.append((part_id, Decimal(quantity)))
    return resolved

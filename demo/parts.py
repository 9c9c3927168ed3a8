"""Demo parts data: the catalogue, an HQ and two store warehouses with bins, stock bought in
through the purchasing history (demo.purchasing), twelve weeks of workshop consumption, some
shrinkage and transfers, replenishment policies, and draft orders from the reorder proposal.

Everything but the bulk history goes through the services, so the seed is also an
end-to-end exercise. Idempotent: a group that already has the HQ parts warehouse is left as
it is.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store, User
from api.errors import DomainError
from api.parts import service
from api.parts.access import Access
from api.parts.constants import EXPIRING_KINDS
from api.parts.ledger import lot_balances, today
from api.parts.models import Bin, Lot, Part, Reservation, StockItem, StockMove, Warehouse
from api.parts.schemas import StockPolicy
from api.parts.states import RESERVATION
from api.purchasing import reports
from api.purchasing.models import Supplier
from demo.draws import poisson
from demo.history import walk
from demo.parts_catalogue import SeedPart, catalogue
from demo.purchasing import WEEKS_COVERED, at, purchase_history, seed_suppliers

SEED = 7  # fixed, so every run builds the same history
HQ_CODE = "SH-HQ"
STORE_WAREHOUSES = {
    "SH-PD": ("SH-PD-P", "浦东店配件仓", "Pudong store parts"),
    "SH-MH": ("SH-MH-P", "闵行店配件仓", "Minhang store parts"),
}
CONSUMPTION_WEEKS = 12
BUCKET_DAYS = 28  # consumption is booked in four-week batches per part, to keep the seed quick
HQ_FACTOR = 2  # HQ holds the group's buffer stock


@dataclass
class PartsSeedReport:
    """What the parts seed added."""

    parts: int = 0
    suppliers: int = 0
    orders: int = 0
    issues: int = 0


def seed_parts(
    session: Session, group: DealerGroup, stores: dict[str, Store], *, store_stock: bool = True
) -> PartsSeedReport:
    """Add the demo parts data for the group (idempotent); the caller commits.

    Without store_stock the store warehouses are left empty, with neither the twelve weeks of
    purchases and consumption nor a reorder proposal: the long history (demo.parts_history)
    is their ledger and sets their policies."""
    report = PartsSeedReport()
    suppliers, report.suppliers = seed_suppliers(session, group)
    rows = catalogue()
    parts = _parts(session, group, rows, suppliers, report)
    exists = session.scalar(
        select(Warehouse.id).where(Warehouse.dealer_group_id == group.id, Warehouse.code == HQ_CODE)
    )
    if exists is not None:
        return report
    clerk = session.scalar(select(User.id).where(User.username == "parts"))
    access = Access(
        dealer_group_id=group.id,
        store_ids=frozenset(s.id for s in stores.values()),
        user_id=clerk,
    )
    rng = random.Random(SEED)
    hq, by_store = _warehouses(session, group, stores)
    spec = {row.part_number: row for row in rows}
    # HQ buffers what ages or sells fast; slow per-model parts come straight from suppliers.
    stocked = {
        hq.id: [
            p
            for p in parts.values()
            if p.kind in EXPIRING_KINDS or spec[p.part_number].weekly >= 0.5
        ]
    }
    for warehouse in by_store.values():
        stocked[warehouse.id] = [
            p for p in parts.values() if spec[p.part_number].weekly >= 0.25 or rng.random() < 0.5
        ]
    for warehouse in (hq, *by_store.values()) if store_stock else (hq,):
        factor = HQ_FACTOR if warehouse is hq else 1
        report.orders += purchase_history(
            session, access, rng, warehouse, stocked[warehouse.id], spec, factor
        )
    for warehouse in by_store.values() if store_stock else ():
        _consumption(session, access, rng, warehouse, stocked[warehouse.id], spec, report)
        _policies(session, warehouse, stocked[warehouse.id], spec)
    _shrinkage_and_transfers(session, access, rng, hq, by_store, parts)
    pudong = by_store.get("SH-PD")
    if pudong is not None and store_stock:
        report.orders += len(
            reports.order_proposal(session, actor=access, warehouse_id=pudong.id, actor_id=clerk)
        )
    session.flush()
    return report


def _parts(
    session: Session,
    group: DealerGroup,
    rows: list[SeedPart],
    suppliers: dict[str, Supplier],
    report: PartsSeedReport,
) -> dict[str, Part]:
    found = {
        p.part_number: p
        for p in session.scalars(select(Part).where(Part.dealer_group_id == group.id))
    }
    for row in rows:
        if row.part_number in found:
            continue
        cost = Decimal(str(row.cost)).quantize(Decimal("0.01"))
        found[row.part_number] = Part(
            dealer_group_id=group.id,
            part_number=row.part_number,
            name_zh=row.name_zh,
            name_en=row.name_en,
            category=row.category,
            kind=row.kind,
            unit=row.unit,
            standard_cost=cost,
            list_price=(cost * Decimal("1.45")).quantize(Decimal("1")),  # typical 4S markup
            shelf_life_days=row.shelf_life_days,
            fits=row.fits,
            preferred_supplier_id=suppliers[row.supplier].id,
        )
        session.add(found[row.part_number])
        report.parts += 1
    session.flush()
    return found


def _warehouses(
    session: Session, group: DealerGroup, stores: dict[str, Store]
) -> tuple[Warehouse, dict[str, Warehouse]]:
    hq = Warehouse(
        dealer_group_id=group.id,
        code=HQ_CODE,
        name_zh="集团总部配件中心仓",
        name_en="Group HQ parts centre",
        level="hq",
    )
    session.add(hq)
    session.flush()
    by_store = {}
    for store_code, (code, zh, en) in STORE_WAREHOUSES.items():
        if store_code in stores:
            by_store[store_code] = Warehouse(
                dealer_group_id=group.id,
                store_id=stores[store_code].id,
                code=code,
                name_zh=zh,
                name_en=en,
                level="store",
                parent_id=hq.id,
            )
            session.add(by_store[store_code])
    session.flush()
    for warehouse in (hq, *by_store.values()):
        for aisle, what in zip(
            "ABCDEF", ("滤清器/点火", "制动/悬挂", "油液", "蓄电池", "轮胎", "其他"), strict=True
        ):
            for shelf in (1, 2):
                session.add(
                    Bin(warehouse_id=warehouse.id, code=f"{aisle}-0{shelf}", description=what)
                )
    session.flush()
    return hq, by_store


def _consumption(
    session: Session,
    access: Access,
    rng: random.Random,
    warehouse: Warehouse,
    parts: list[Part],
    spec: dict[str, SeedPart],
    report: PartsSeedReport,
) -> None:
    """Twelve weeks of workshop issues, booked in bulk: each is a reservation issued at once,
    taken first-expiring-first from the lots the purchase history received.

    History is past, so it skips the per-request lock and re-reads of service.reserve and
    issue_reservation (a few thousand statements); stock can still never go negative, because
    nothing takes more than the lots hold.
    """
    lots: dict[int, list[list]] = {}
    for balance in lot_balances(
        session, warehouse_id=warehouse.id, part_id=None, usable_on=today()
    ):
        lots.setdefault(balance.lot.part_id, []).append([balance.lot, balance.quantity])
    issues: list[tuple[Reservation, list[tuple[Lot, Decimal]], datetime]] = []
    for bucket in range(CONSUMPTION_WEEKS * 7 // BUCKET_DAYS):
        days_ago = CONSUMPTION_WEEKS * 7 - bucket * BUCKET_DAYS - rng.randint(1, BUCKET_DAYS - 1)
        for part in parts:
            used = poisson(rng, spec[part.part_number].weekly * BUCKET_DAYS / 7)
            if used == 0:
                continue
            taken = take_fefo(lots.get(part.id, []), Decimal(used))
            if not taken:
                continue
            quantity = sum((q for _, q in taken), Decimal(0))
            reservation = Reservation(
                warehouse_id=warehouse.id,
                store_id=warehouse.store_id,
                part_id=part.id,
                quantity=quantity,
                issued_quantity=quantity,
                status="issued",
                reference_type="seed_history",
                reference_id=bucket,
                actor_user_id=access.user_id,
            )
            issues.append((reservation, taken, at(days_ago, hour=rng.randint(9, 17))))
    session.add_all(r for r, _, _ in issues)
    session.flush()
    for reservation, taken, when in issues:
        session.add_all(
            walk(RESERVATION, reservation, ("active", "issued"), actor_id=access.user_id, at=when)
        )
        session.add_all(
            StockMove(
                warehouse_id=warehouse.id,
                part_id=lot.part_id,
                lot_id=lot.id,
                kind="issue",
                quantity=-quantity,
                unit_cost=lot.unit_cost,
                reservation_id=reservation.id,
                reference_type=reservation.reference_type,
                reference_id=reservation.reference_id,
                actor_user_id=access.user_id,
                occurred_at=when,
            )
            for lot, quantity in taken
        )
        report.issues += 1
    session.flush()


def take_fefo(lots: list[list], wanted: Decimal) -> list[tuple[Lot, Decimal]]:
    """Take up to `wanted` from the lots (already in FEFO order), updating what they hold."""
    taken = []
    for entry in lots:
        if wanted <= 0:
            break
        quantity = min(wanted, entry[1])
        if quantity > 0:
            taken.append((entry[0], quantity))
            entry[1] -= quantity
            wanted -= quantity
    return taken


def _policies(
    session: Session,
    warehouse: Warehouse,
    parts: list[Part],
    spec: dict[str, SeedPart],
) -> None:
    """Replenishment policies of the stocked parts, validated by StockPolicy, in one UPDATE."""
    items = dict(
        session.execute(
            select(StockItem.part_id, StockItem.id).where(StockItem.warehouse_id == warehouse.id)
        ).all()
    )
    rows = []
    for part in parts:
        weekly = spec[part.part_number].weekly
        reorder = Decimal(max(1, math.ceil(weekly * 2)))
        policy = StockPolicy(
            min_qty=Decimal(max(0, math.ceil(weekly * 0.5))).min(reorder),
            reorder_point=reorder,
            max_qty=Decimal(max(2, math.ceil(weekly * WEEKS_COVERED))).max(reorder),
        )
        if part.id in items:
            rows.append({"id": items[part.id], **policy.model_dump(exclude={"bin_id"})})
    if rows:
        session.execute(update(StockItem), rows)


def _shrinkage_and_transfers(
    session: Session,
    access: Access,
    rng: random.Random,
    hq: Warehouse,
    by_store: dict[str, Warehouse],
    parts: dict[str, Part],
) -> None:
    losses = (  # part kinds to lose, why
        ("tyre", "轮胎侧壁划伤,报损 / sidewall damaged in storage"),
        ("fluid", "包装破损渗漏 / leaking container"),
        ("standard", "盘点短少 / short in the monthly count"),
    )
    for warehouse in by_store.values():
        for kind, reason in losses:
            candidates = [p for p in parts.values() if p.kind == kind]
            for part in rng.sample(candidates, k=min(3, len(candidates))):
                lots = lot_balances(session, warehouse_id=warehouse.id, part_id=part.id)
                if not lots:
                    continue
                try:
                    if kind == "standard":
                        service.adjust(
                            session,
                            actor=access,
                            warehouse_id=warehouse.id,
                            lot_id=lots[0].lot.id,
                            quantity=-1,
                            reason=reason,
                        )
                    else:
                        service.scrap(
                            session,
                            actor=access,
                            warehouse_id=warehouse.id,
                            lot_id=lots[0].lot.id,
                            quantity=1,
                            reason=reason,
                        )
                except DomainError:
                    continue  # everything left is reserved: nothing to lose
        for part in rng.sample([p for p in parts.values() if p.kind == "tyre"], k=3):
            try:
                service.transfer(
                    session,
                    actor=access,
                    part_id=part.id,
                    from_warehouse_id=hq.id,
                    to_warehouse_id=warehouse.id,
                    quantity=2,
                    reason="总部仓调拨补货",
                )
            except DomainError:
                continue

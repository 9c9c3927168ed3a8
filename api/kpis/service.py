"""KPI figures from the rollups: a period's value with its target and the period before, a
trend by day, week or month, and a breakdown by one dimension (api/kpis/records.py lists the
records behind a figure).

Nothing here reads a ledger: values come from kpi_facts and kpi_customer_months
(api/kpis/rollup.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api.auth.scope import Scope
from api.errors import InvalidInput, NotFound
from api.i18n import Text
from api.kpis import labels
from api.kpis import messages as _messages  # noqa: F401  (registers KPI text)
from api.kpis.definitions import BY_KPI, DERIVED, KPIS, Kpi
from api.kpis.models import KpiTarget
from api.parts.constants import ABC_A_SHARE, ABC_B_SHARE

Grain = Literal["day", "week", "month"]
MAX_DAYS = 3 * 366  # the longest period asked for at once
ABC_YEAR = 365  # ABC classes are read from the year of consumption up to the period's end


def stores_of(actor: Scope, store_id: int | None) -> list[int]:
    """The one store asked for (if the caller's), or all the caller's stores."""
    if store_id is None:
        return sorted(actor.store_ids)
    actor.ensure_store(store_id)
    return [store_id]


def kpi_named(code: str) -> Kpi:
    """The KPI with this code, or NotFound."""
    if code not in BY_KPI:
        raise NotFound(entity="kpi", id=code)
    return BY_KPI[code]


def check_period(date_from: date, date_to: date) -> None:
    """Refuse a period that ends before it starts, or is longer than MAX_DAYS."""
    if date_from > date_to:
        raise InvalidInput(field="date_from", problem=Text("kpi.period_order"))
    if (date_to - date_from).days >= MAX_DAYS:
        raise InvalidInput(field="date_from", problem=Text("kpi.period_long", {"days": MAX_DAYS}))


def _sums(
    session: Session, stores: list[int], measures: set[str], start: date, end: date
) -> dict[str, Decimal]:
    rows = session.execute(
        text(
            "SELECT measure, sum(value) FROM kpi_facts WHERE store_id = ANY(:stores)"
            " AND dimension = '' AND measure = ANY(:measures) AND day BETWEEN :start AND :end"
            " GROUP BY measure"
        ),
        {"stores": stores, "measures": sorted(measures), "start": start, "end": end},
    )
    return dict(rows.all())


def _value(kpi: Kpi, sums: dict[str, Decimal], last: dict[str, Decimal], days: int) -> float | None:
    def side(codes: tuple[str, ...], source: dict[str, Decimal]) -> Decimal:
        total = Decimal(0)
        for code in codes:
            sign = -1 if code.startswith("-") else 1
            total += sign * source.get(code.lstrip("-"), Decimal(0))
        return total

    bottom = side(kpi.denominator, sums)
    if kpi.kind == "cover":
        top, bottom = side(kpi.numerator, last), bottom / days
    else:
        top = side(kpi.numerator, sums)
    if bottom == 0:
        return None
    return round(float(top / bottom * kpi.scale), 2)


def _retention(session: Session, stores: list[int], end: date, scale: int) -> float | None:
    month = end.replace(day=1)
    row = session.execute(
        text(
            "WITH before AS (SELECT DISTINCT store_id, customer_id FROM kpi_customer_months"
            " WHERE store_id = ANY(:stores) AND month >= :m24 AND month < :m12),"
            " after AS (SELECT DISTINCT store_id, customer_id FROM kpi_customer_months"
            " WHERE store_id = ANY(:stores) AND month >= :m12 AND month <= :m0)"
            " SELECT count(*), count(a.customer_id) FROM before b"
            " LEFT JOIN after a USING (store_id, customer_id)"
        ),
        {"stores": stores, "m24": _months_back(month, 23), "m12": _months_back(month, 11),
         "m0": month},
    ).one()  # fmt: skip
    served, returned = row
    return round(returned / served * scale, 2) if served else None


def _months_back(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


def values(
    session: Session, kpis: tuple[Kpi, ...], stores: list[int], start: date, end: date
) -> dict[str, float | None]:
    """Each KPI's value over [start, end] for the stores together."""
    needed = {m for k in kpis for m in k.measures}
    sums = _sums(session, stores, needed, start, end) if needed else {}
    last = _sums(session, stores, needed, end, end) if needed else {}
    days = (end - start).days + 1
    return {
        k.code: _retention(session, stores, end, k.scale)
        if k.kind == "retention"
        else _value(k, sums, last, days)
        for k in kpis
    }


def targets(session: Session, stores: list[int]) -> dict[str, Decimal]:
    """The stores' targets per KPI (one store: its own; several: their mean)."""
    rows = session.execute(
        select(KpiTarget.kpi, KpiTarget.target).where(KpiTarget.store_id.in_(stores))
    ).all()
    grouped: dict[str, list[Decimal]] = defaultdict(list)
    for code, target in rows:
        grouped[code].append(target)
    return {code: sum(t) / len(t) for code, t in grouped.items()}


def _gap(kpi: Kpi, value: float | None, target: Decimal | None) -> dict[str, Any]:
    if value is None or target is None:
        return {"target": float(target) if target is not None else None, "gap": None,
                "on_target": None}  # fmt: skip
    gap = round(value - float(target), 2)
    return {
        "target": float(target),
        "gap": gap,
        "on_target": gap >= 0 if kpi.better == "higher" else gap <= 0,
    }


def summary(
    session: Session, *, actor: Scope, store_id: int | None, date_from: date, date_to: date
) -> list[dict[str, Any]]:
    """Every KPI for the period: value, target and gap, and the same-length period before."""
    check_period(date_from, date_to)
    stores = stores_of(actor, store_id)
    length = date_to - date_from + timedelta(days=1)
    now = values(session, KPIS, stores, date_from, date_to)
    before = values(session, KPIS, stores, date_from - length, date_to - length)
    goals = targets(session, stores)
    return [
        {
            **describe(kpi),
            "value": now[kpi.code],
            "previous": before[kpi.code],
            **_gap(kpi, now[kpi.code], goals.get(kpi.code)),
        }
        for kpi in KPIS
    ]


def describe(kpi: Kpi) -> dict[str, Any]:
    """A KPI's definition, as the API lists it."""
    return {
        "code": kpi.code,
        "name_en": kpi.name_en,
        "name_zh": kpi.name_zh,
        "department": kpi.department,
        "unit": kpi.unit,
        "better": kpi.better,
        "formula": kpi.formula,
        "summary": kpi.summary,
        "dimensions": list(kpi.dimensions),
    }


def buckets(start: date, end: date, grain: Grain) -> list[tuple[date, date]]:
    """The period cut into days, weeks (from Monday) or months, each clipped to the period."""

    def first(day: date) -> date:
        if grain == "month":
            return day.replace(day=1)
        if grain == "week":
            return day - timedelta(days=day.weekday())
        return day

    spans, cursor = [], first(start)
    while cursor <= end:
        if grain == "month":
            following = _months_back(cursor, -1)
        else:
            following = cursor + timedelta(days=7 if grain == "week" else 1)
        spans.append((max(cursor, start), min(following - timedelta(days=1), end)))
        cursor = following
    return spans


def detail(
    session: Session,
    *,
    actor: Scope,
    code: str,
    store_id: int | None,
    date_from: date,
    date_to: date,
    grain: Grain,
    dimension: str | None,
    language: str,
) -> dict[str, Any]:
    """One KPI: its value, trend by grain, and (optionally) its breakdown by a dimension."""
    kpi = kpi_named(code)
    check_period(date_from, date_to)
    stores = stores_of(actor, store_id)
    if dimension is not None and dimension not in kpi.dimensions:
        why = Text("kpi.dimension", {"kpi": code, "allowed": ", ".join(kpi.dimensions) or "-"})
        raise InvalidInput(field="dimension", problem=why)
    value = values(session, (kpi,), stores, date_from, date_to)[kpi.code]
    points = trend(session, kpi, stores, buckets(date_from, date_to, grain))
    goals = targets(session, stores)
    result = {**describe(kpi), "value": value, **_gap(kpi, value, goals.get(kpi.code)),
              "trend": points, "breakdown": None}  # fmt: skip
    if dimension is not None:
        result["breakdown"] = breakdown(
            session, kpi, stores, date_from, date_to, dimension, language
        )
    return result


def trend(
    session: Session, kpi: Kpi, stores: list[int], spans: list[tuple[date, date]]
) -> list[dict[str, Any]]:
    """The KPI over each span, from one query (retention: one per span)."""
    if kpi.kind == "retention":
        return [
            {"start": a, "end": b, "value": _retention(session, stores, b, kpi.scale)}
            for a, b in spans
        ]
    rows = session.execute(
        text(
            "SELECT s.start, f.measure, sum(f.value), sum(f.value) FILTER (WHERE f.day = s.end)"
            " FROM unnest(CAST(:starts AS date[]), CAST(:ends AS date[])) AS s(start, \"end\")"
            " JOIN kpi_facts f ON f.day BETWEEN s.start AND s.end"
            " WHERE f.store_id = ANY(:stores) AND f.dimension = '' AND f.measure = ANY(:measures)"
            " GROUP BY s.start, f.measure"
        ),
        {"starts": [a for a, _ in spans], "ends": [b for _, b in spans], "stores": stores,
         "measures": list(kpi.measures)},
    ).all()  # fmt: skip
    sums: dict[date, dict[str, Decimal]] = defaultdict(dict)
    lasts: dict[date, dict[str, Decimal]] = defaultdict(dict)
    for start, measure, total, last in rows:
        sums[start][measure], lasts[start][measure] = total, last or Decimal(0)
    return [
        {"start": a, "end": b, "value": _value(kpi, sums[a], lasts[a], (b - a).days + 1)}
        for a, b in spans
    ]


def breakdown(
    session: Session,
    kpi: Kpi,
    stores: list[int],
    start: date,
    end: date,
    dimension: str,
    language: str,
) -> list[dict[str, Any]]:
    """The KPI per member of one dimension, largest denominator first."""
    read = DERIVED.get(dimension, dimension)
    rows = session.execute(
        text(
            "SELECT member, measure, sum(value) FILTER (WHERE day BETWEEN :start AND :end),"
            " sum(value) FILTER (WHERE day = :end) FROM kpi_facts"
            " WHERE store_id = ANY(:stores) AND dimension = :dimension"
            " AND measure = ANY(:measures) AND day BETWEEN :start AND :end"
            " GROUP BY member, measure"
        ),
        {"stores": stores, "dimension": read, "measures": list(kpi.measures),
         "start": start, "end": end},
    ).all()  # fmt: skip
    classes = abc_classes(session, stores, end) if dimension == "abc_class" else None
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    lasts: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for member, measure, total, last in rows:
        key = classes.get(member, "C") if classes is not None else member
        sums[key][measure] += total or 0
        lasts[key][measure] += last or 0
    days = (end - start).days + 1
    names = labels.names(session, dimension, list(sums), language)
    found = [
        {
            "member": member,
            "label": names.get(member, member),
            "value": _value(kpi, sums[member], lasts[member], days),
            "weight": float(sum(sums[member].get(m.lstrip("-"), 0) for m in kpi.denominator)),
        }
        for member in sums
    ]
    return sorted(found, key=lambda row: (-row["weight"], row["member"]))


def abc_classes(session: Session, stores: list[int], end: date) -> dict[str, str]:
    """Each part's ABC class (as a member string) by its consumption value over the year."""
    rows = session.execute(
        text(
            "SELECT member, sum(value) AS used FROM kpi_facts WHERE store_id = ANY(:stores)"
            " AND measure = 'parts_used' AND dimension = 'part_id'"
            " AND day > :start AND day <= :end GROUP BY member ORDER BY used DESC, member"
        ),
        {"stores": stores, "start": end - timedelta(days=ABC_YEAR), "end": end},
    ).all()
    total = sum(max(used, 0) for _, used in rows)
    classes, running = {}, Decimal(0)
    for member, used in rows:
        share_before = running / total if total else Decimal(1)
        running += max(used, 0)
        classes[member] = (
            "A" if share_before < ABC_A_SHARE else "B" if share_before < ABC_B_SHARE else "C"
        )
    return classes


def set_target(
    session: Session, *, actor: Scope, code: str, store_id: int, target: Decimal
) -> KpiTarget:
    """Set a store's target for a KPI (a manager's decision)."""
    kpi_named(code)
    actor.ensure_store(store_id)
    row = session.scalar(
        select(KpiTarget).where(KpiTarget.store_id == store_id, KpiTarget.kpi == code)
    )
    if row is None:
        row = KpiTarget(store_id=store_id, kpi=code, target=target)
        session.add(row)
    row.target, row.set_by = target, actor.user_id
    session.flush()
    return row

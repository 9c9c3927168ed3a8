"""The demo parts seed on real PostgreSQL: a believable catalogue with stock in every
warehouse, ABC classes that differ, mismatched invoices, expiry warnings, no negative lot,
and a second run that adds nothing."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from api.main import create_app
from api.pagination import PageParams
from api.parts import queries, reports
from api.parts.access import Access
from api.parts.ledger import today
from api.parts.models import StockMove, Warehouse
from api.purchasing import invoices
from api.purchasing import reports as purchasing_reports
from demo.parts import seed_parts
from tests.factories import make_group, make_store, settings_for_tests

ALL = PageParams(limit=200, offset=0)


@pytest.fixture(scope="module")
def seeded(db_url):
    app = create_app(settings_for_tests(db_url))
    with app.state.session_factory.begin() as session:
        group = make_group(session)
        stores = {"SH-PD": make_store(session, group), "SH-MH": make_store(session, group)}
        report = seed_parts(session, group, stores)
        access = Access(
            dealer_group_id=group.id, store_ids=frozenset(s.id for s in stores.values())
        )
    return app, group, stores, report, access


def test_seed_builds_a_catalogue_with_stock_everywhere(seeded):
    app, group, _, report, access = seeded
    assert report.parts >= 250 and report.suppliers >= 5 and report.issues > 100
    with app.state.session_factory() as session:
        warehouses = session.scalars(
            select(Warehouse).where(Warehouse.dealer_group_id == group.id)
        ).all()
        assert sorted(w.level for w in warehouses) == ["hq", "store", "store"]
        for warehouse in warehouses:
            stock = queries.list_levels(
                session, actor=access, page=ALL, warehouse_id=warehouse.id, in_stock=True
            )
            assert stock.total > 100, warehouse.code
        lots = select(StockMove.warehouse_id, StockMove.lot_id).group_by(
            StockMove.warehouse_id, StockMove.lot_id
        )
        negative = lots.having(func.sum(StockMove.quantity) < 0)
        assert session.execute(negative).first() is None


def test_seed_history_makes_the_reports_meaningful(seeded):
    app, _, stores, _, access = seeded
    with app.state.session_factory() as session:
        abc = reports.abc_classes(
            session,
            actor=access,
            page=PageParams(limit=200, offset=0),
            date_from=today() - timedelta(days=120),
            date_to=today() + timedelta(days=1),
        )
        classes = Counter(row.abc_class for row in abc.items)
        assert classes["A"] and classes["B"] and classes["C"]
        assert classes["A"] < abc.total / 2
        mismatches = invoices.list_mismatches(session, actor=access, page=ALL)
        assert mismatches.total > 0
        warnings = queries.list_lots(session, actor=access, page=ALL, expiring_within_days=60)
        assert warnings.total > 0
        costs = purchasing_reports.cost_report(
            session,
            actor=access,
            page=ALL,
            date_from=today() - timedelta(days=200),
            date_to=today() + timedelta(days=1),
        )
        assert any(row.freight > 0 for row in costs.items)


def test_second_run_adds_nothing(seeded):
    app, group, stores, _, _ = seeded
    with app.state.session_factory.begin() as session:
        again = seed_parts(session, session.merge(group), stores)
    assert (again.parts, again.suppliers, again.orders, again.issues) == (0, 0, 0, 0)

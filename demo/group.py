"""The demo dealer group: two Shanghai stores and staff in every role, plus the demo customer's
login.

Idempotent: the group and stores are found by code and users by username; only missing ones
are added.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import DealerGroup, Store, User
from api.auth.roles import Role
from api.crm.models import Customer
from demo.people import DEMO_CUSTOMER_USER, demo_password_hash

GROUP = ("SHAUTO", "申城汽车服务集团")
STORES = (  # code, Chinese name, English name, plate prefix
    ("SH-PD", "上海浦东店", "Shanghai Pudong", "沪A"),
    ("SH-MH", "上海闵行店", "Shanghai Minhang", "沪B"),
)
# username, full name, role, store codes (admins see every store of the group anyway)
DEMO_STAFF = (
    ("admin", "周海峰", Role.admin, ()),
    ("manager", "吴丽华", Role.manager, ("SH-PD", "SH-MH")),
    ("sales", "李强", Role.sales_consultant, ("SH-PD",)),
    ("advisor", "王敏", Role.service_advisor, ("SH-PD",)),
    ("technician", "张师傅", Role.technician, ("SH-PD",)),
    ("parts", "赵磊", Role.parts_clerk, ("SH-PD",)),
    ("advisor.mh", "孙婷", Role.service_advisor, ("SH-MH",)),
)


@dataclass
class SeededGroup:
    """The group, its stores by code and its admin, with how many stores and users were added."""

    group: DealerGroup
    stores: dict[str, Store] = field(default_factory=dict)
    admin: User | None = None
    stores_added: int = 0
    users_added: int = 0


def seed_group(session: Session) -> SeededGroup:
    """The demo group with its stores and staff (idempotent)."""
    seeded = SeededGroup(_group(session))
    _stores(session, seeded)
    _staff(session, seeded)
    return seeded


def seed_customer_login(session: Session, group: DealerGroup, customer: Customer) -> int:
    """The demo customer's login for `customer`, unless it exists; users added."""
    if session.scalar(select(User.id).where(User.username == DEMO_CUSTOMER_USER)) is not None:
        return 0
    session.add(
        User(
            dealer_group_id=group.id,
            username=DEMO_CUSTOMER_USER,
            full_name=customer.name,
            role=Role.customer.value,
            hashed_password=demo_password_hash(),
            is_active=True,
            token_version=0,
            customer_id=customer.id,
        )
    )
    return 1


def _group(session: Session) -> DealerGroup:
    group = session.scalar(select(DealerGroup).where(DealerGroup.code == GROUP[0]))
    if group is None:
        group = DealerGroup(code=GROUP[0], name=GROUP[1])
        session.add(group)
        session.flush()
    return group


def _stores(session: Session, seeded: SeededGroup) -> None:
    for code, zh, en, _ in STORES:
        store = session.scalar(select(Store).where(Store.code == code))
        if store is None:
            store = Store(
                dealer_group_id=seeded.group.id,
                code=code,
                name_zh=zh,
                name_en=en,
                city="上海",
                timezone="Asia/Shanghai",
            )
            session.add(store)
            seeded.stores_added += 1
        seeded.stores[code] = store
    session.flush()


def _staff(session: Session, seeded: SeededGroup) -> None:
    hashed = demo_password_hash()
    for username, name, role, codes in DEMO_STAFF:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            session.add(
                User(
                    dealer_group_id=seeded.group.id,
                    username=username,
                    full_name=name,
                    role=role.value,
                    hashed_password=hashed,
                    is_active=True,
                    token_version=0,
                    stores=[seeded.stores[c] for c in codes],
                )
            )
            seeded.users_added += 1
    session.flush()
    seeded.admin = session.scalar(select(User).where(User.username == "admin"))

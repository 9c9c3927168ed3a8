"""The roles, and the groups of roles that endpoints commonly require."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user does at the dealer; customers are the dealer's own clients."""

    admin = "admin"
    manager = "manager"
    sales_consultant = "sales_consultant"
    service_advisor = "service_advisor"
    technician = "technician"
    parts_clerk = "parts_clerk"
    customer = "customer"


ALL_ROLES = frozenset(Role)
STAFF = frozenset(Role) - {Role.customer}
MANAGERS = frozenset({Role.admin, Role.manager})
# Who may create and edit customers and their vehicles.
CRM_EDITORS = MANAGERS | {Role.sales_consultant, Role.service_advisor}

ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.admin: ("Administrator", "系统管理员"),
    Role.manager: ("Store manager", "门店经理"),
    Role.sales_consultant: ("Sales consultant", "销售顾问"),
    Role.service_advisor: ("Service advisor", "服务顾问"),
    Role.technician: ("Technician", "维修技师"),
    Role.parts_clerk: ("Parts clerk", "配件专员"),
    Role.customer: ("Customer", "客户"),
}

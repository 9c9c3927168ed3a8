"""Who may do what: the authorization policy as data, in one place.

`ROUTES` names, for every route of the API (method and path as in the OpenAPI document), the
roles that may call it and on which records. `authorize` (api/deps.py) looks every request up
here and answers 403 for a role not listed; an app with a route missing from the table does
not start. `STEPS` names, for every state machine, the roles that may take each transition;
`StateMachine.check` asks `may_step`. Automation acts as the `system` role.

`python -m api.auth.matrix` writes the human-readable matrix, docs/permissions.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth.roles import ALL_ROLES, CRM_EDITORS, MANAGERS, STAFF, Role

SYSTEM = "system"  # automation: the proactive loop, survey answers, demo seeding

PUBLIC: frozenset[Role] = frozenset()  # no sign-in; the route checks its own link token
EVERYONE = ALL_ROLES
ADMINS = frozenset({Role.admin})
CUSTOMERS = frozenset({Role.customer})
SELLERS = MANAGERS | {Role.sales_consultant}
PDI_CHECKERS = SELLERS | {Role.technician}
SERVICE_DESK = MANAGERS | {Role.service_advisor}
WORKSHOP = SERVICE_DESK | {Role.technician}
BOOKERS = SERVICE_DESK | {Role.customer}
PARTS_WRITERS = MANAGERS | {Role.parts_clerk}
PARTS_DESK = PARTS_WRITERS | {Role.service_advisor}
STOCK_READERS = PARTS_DESK | {Role.technician}
STEPPERS = WORKSHOP | {Role.customer}  # each step is then judged by STEPS

# On which records a route acts.
NO_RECORD = "none"
SELF = "own account"
TOKEN = "the record named by the link's token"
STREAM = "staff only: the route checks a single-use stream ticket or the bearer token itself"
GROUP = "the dealer group"
CUSTOMER = "own customer records"
STORE = "own stores (admin: the group)"
STORE_OR_OWN = "own stores; customer: own records"
JOB = "own stores; technician: assigned jobs; customer: own"
VISIT = "own stores; technician: assigned visits; customer: own"


@dataclass(frozen=True)
class Rule:
    """Who may call one route, and on which records."""

    roles: frozenset[Role]
    records: str

    @property
    def public(self) -> bool:
        """True for a route that needs no sign-in."""
        return not self.roles


ROUTES: dict[tuple[str, str], Rule] = {
    ("GET", "/health"): Rule(PUBLIC, NO_RECORD),
    ("POST", "/auth/token"): Rule(PUBLIC, NO_RECORD),
    ("POST", "/auth/refresh"): Rule(PUBLIC, NO_RECORD),
    ("POST", "/auth/logout"): Rule(EVERYONE, SELF),
    ("GET", "/auth/me"): Rule(EVERYONE, SELF),
    ("PATCH", "/auth/me"): Rule(STAFF, SELF),
    ("GET", "/auth/stores"): Rule(EVERYONE, SELF),
    ("GET", "/auth/users"): Rule(ADMINS, GROUP),
    ("POST", "/auth/users"): Rule(ADMINS, GROUP),
    ("PATCH", "/auth/users/{user_id}"): Rule(ADMINS, GROUP),
    ("GET", "/crm/customers"): Rule(EVERYONE, STORE_OR_OWN),
    ("POST", "/crm/customers"): Rule(CRM_EDITORS, STORE),
    ("GET", "/crm/customers/{customer_id}"): Rule(EVERYONE, STORE_OR_OWN),
    ("PATCH", "/crm/customers/{customer_id}"): Rule(CRM_EDITORS, STORE),
    ("POST", "/crm/customers/{customer_id}/status"): Rule(CRM_EDITORS, STORE),
    ("GET", "/crm/customers/{customer_id}/history"): Rule(STAFF, STORE),
    ("GET", "/crm/customers/{customer_id}/360"): Rule(EVERYONE, STORE_OR_OWN),
    ("GET", "/crm/vehicles"): Rule(EVERYONE, STORE_OR_OWN),
    ("POST", "/crm/vehicles"): Rule(CRM_EDITORS, STORE),
    ("GET", "/crm/vehicles/{vehicle_id}"): Rule(EVERYONE, STORE_OR_OWN),
    ("PATCH", "/crm/vehicles/{vehicle_id}"): Rule(CRM_EDITORS, STORE),
    ("GET", "/crm/interactions"): Rule(STAFF, STORE),
    ("POST", "/crm/interactions"): Rule(STAFF, STORE),
    ("GET", "/telemetry/latest"): Rule(EVERYONE, STORE_OR_OWN),
    ("GET", "/telemetry/vehicles/{vin}/latest"): Rule(EVERYONE, STORE_OR_OWN),
    ("GET", "/telemetry/vehicles/{vin}/series"): Rule(EVERYONE, STORE_OR_OWN),
    ("GET", "/telemetry/vehicles/{vin}/dtcs"): Rule(EVERYONE, STORE_OR_OWN),
    ("GET", "/audit/transitions"): Rule(MANAGERS, STORE),
    ("GET", "/audit/events"): Rule(MANAGERS, STORE),
    ("GET", "/sales/models"): Rule(EVERYONE, GROUP),
    ("POST", "/sales/models"): Rule(MANAGERS, GROUP),
    ("GET", "/sales/stock"): Rule(STAFF, STORE),
    ("POST", "/sales/stock"): Rule(MANAGERS, STORE),
    ("GET", "/sales/stock/{stock_id}"): Rule(STAFF, STORE),
    ("PATCH", "/sales/stock/{stock_id}"): Rule(MANAGERS, STORE),
    ("POST", "/sales/stock/{stock_id}/arrival"): Rule(MANAGERS, STORE),
    ("POST", "/sales/stock/{stock_id}/status"): Rule(MANAGERS, STORE),
    ("GET", "/sales/leads"): Rule(SELLERS, STORE),
    ("POST", "/sales/leads"): Rule(SELLERS, STORE),
    ("GET", "/sales/leads/{lead_id}"): Rule(SELLERS, STORE),
    ("PATCH", "/sales/leads/{lead_id}"): Rule(SELLERS, STORE),
    ("POST", "/sales/leads/{lead_id}/status"): Rule(SELLERS, STORE),
    ("GET", "/sales/leads/{lead_id}/history"): Rule(SELLERS, STORE),
    ("GET", "/sales/leads/{lead_id}/quotes"): Rule(SELLERS, STORE),
    ("POST", "/sales/leads/{lead_id}/quotes"): Rule(SELLERS, STORE),
    ("POST", "/sales/leads/{lead_id}/order"): Rule(SELLERS, STORE),
    ("GET", "/sales/leads/{lead_id}/order"): Rule(SELLERS, STORE),
    ("POST", "/sales/leads/{lead_id}/allocation"): Rule(SELLERS, STORE),
    ("GET", "/sales/leads/{lead_id}/checklist"): Rule(PDI_CHECKERS, STORE),
    ("PUT", "/sales/leads/{lead_id}/checklist/{kind}/{code}"): Rule(PDI_CHECKERS, STORE),
    ("GET", "/sales/orders"): Rule(EVERYONE, STORE_OR_OWN),
    ("GET", "/sales/orders/{order_id}"): Rule(EVERYONE, STORE_OR_OWN),
    ("GET", "/sales/board"): Rule(SELLERS, STORE),
    ("GET", "/parts/catalogue"): Rule(STOCK_READERS, GROUP),
    ("POST", "/parts/catalogue"): Rule(PARTS_WRITERS, GROUP),
    ("GET", "/parts/catalogue/{part_id}"): Rule(STOCK_READERS, GROUP),
    ("PATCH", "/parts/catalogue/{part_id}"): Rule(PARTS_WRITERS, GROUP),
    ("GET", "/parts/warehouses"): Rule(STOCK_READERS, STORE),
    ("POST", "/parts/warehouses"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/warehouses/{warehouse_id}/bins"): Rule(STOCK_READERS, STORE),
    ("POST", "/parts/warehouses/{warehouse_id}/bins"): Rule(PARTS_WRITERS, STORE),
    ("PUT", "/parts/warehouses/{warehouse_id}/policies/{part_id}"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/stock"): Rule(STOCK_READERS, STORE),
    ("GET", "/parts/stock/availability"): Rule(STOCK_READERS, STORE),
    ("GET", "/parts/stock/lots"): Rule(STOCK_READERS, STORE),
    ("GET", "/parts/stock/moves"): Rule(STOCK_READERS, STORE),
    ("POST", "/parts/stock/adjustments"): Rule(PARTS_WRITERS, STORE),
    ("POST", "/parts/stock/scrap"): Rule(PARTS_WRITERS, STORE),
    ("POST", "/parts/stock/transfers"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/reservations"): Rule(STOCK_READERS, STORE),
    ("POST", "/parts/reservations"): Rule(PARTS_DESK, STORE),
    ("GET", "/parts/reservations/{reservation_id}"): Rule(STOCK_READERS, STORE),
    ("GET", "/parts/reservations/{reservation_id}/history"): Rule(STOCK_READERS, STORE),
    ("POST", "/parts/reservations/{reservation_id}/release"): Rule(PARTS_DESK, STORE),
    ("POST", "/parts/reservations/{reservation_id}/issue"): Rule(PARTS_WRITERS, STORE),
    ("POST", "/parts/reservations/{reservation_id}/return"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/abc"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/suppliers"): Rule(PARTS_WRITERS, GROUP),
    ("POST", "/parts/suppliers"): Rule(PARTS_WRITERS, GROUP),
    ("GET", "/parts/suppliers/{supplier_id}"): Rule(PARTS_WRITERS, GROUP),
    ("PATCH", "/parts/suppliers/{supplier_id}"): Rule(PARTS_WRITERS, GROUP),
    ("GET", "/parts/purchase-orders"): Rule(PARTS_WRITERS, STORE),
    ("POST", "/parts/purchase-orders"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/purchase-orders/{order_id}"): Rule(PARTS_WRITERS, STORE),
    ("PUT", "/parts/purchase-orders/{order_id}/lines"): Rule(PARTS_WRITERS, STORE),
    ("POST", "/parts/purchase-orders/{order_id}/status"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/purchase-orders/{order_id}/history"): Rule(PARTS_WRITERS, STORE),
    ("POST", "/parts/purchase-orders/{order_id}/receipts"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/receipts"): Rule(PARTS_WRITERS, STORE),
    ("POST", "/parts/invoices"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/invoices"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/invoice-mismatches"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/reorder-proposal"): Rule(PARTS_WRITERS, STORE),
    ("POST", "/parts/reorder-proposal/orders"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/parts/cost-report"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/service/operations"): Rule(EVERYONE, GROUP),
    ("POST", "/service/operations"): Rule(MANAGERS, GROUP),
    ("GET", "/service/technicians"): Rule(STAFF, STORE),
    ("POST", "/service/technicians"): Rule(MANAGERS, STORE),
    ("PATCH", "/service/technicians/{technician_id}"): Rule(MANAGERS, STORE),
    ("GET", "/service/bays"): Rule(STAFF, STORE),
    ("POST", "/service/bays"): Rule(MANAGERS, STORE),
    ("GET", "/service/stores/{store_id}/hours"): Rule(STAFF, STORE),
    ("PUT", "/service/stores/{store_id}/hours"): Rule(MANAGERS, STORE),
    ("POST", "/service/slots/search"): Rule(BOOKERS, STORE_OR_OWN),
    ("GET", "/service/appointments"): Rule(EVERYONE, VISIT),
    ("POST", "/service/appointments"): Rule(BOOKERS, STORE_OR_OWN),
    ("GET", "/service/appointments/{appointment_id}"): Rule(EVERYONE, VISIT),
    ("POST", "/service/appointments/{appointment_id}/status"): Rule(BOOKERS, STORE_OR_OWN),
    ("POST", "/service/appointments/{appointment_id}/reschedule"): Rule(BOOKERS, STORE_OR_OWN),
    ("GET", "/service/appointments/{appointment_id}/history"): Rule(EVERYONE, VISIT),
    ("GET", "/service/work-orders"): Rule(EVERYONE, JOB),
    ("POST", "/service/work-orders"): Rule(SERVICE_DESK, JOB),
    ("GET", "/service/work-orders/{work_order_id}"): Rule(EVERYONE, JOB),
    ("POST", "/service/work-orders/{work_order_id}/status"): Rule(STEPPERS, JOB),
    ("POST", "/service/work-orders/{work_order_id}/check-in"): Rule(SERVICE_DESK, JOB),
    ("POST", "/service/work-orders/{work_order_id}/wait"): Rule(WORKSHOP, JOB),
    ("POST", "/service/work-orders/{work_order_id}/resume"): Rule(WORKSHOP, JOB),
    ("POST", "/service/work-orders/{work_order_id}/outcome"): Rule(WORKSHOP, JOB),
    ("POST", "/service/work-orders/{work_order_id}/labour"): Rule(WORKSHOP, JOB),
    ("POST", "/service/work-orders/{work_order_id}/parts"): Rule(PARTS_DESK, JOB),
    ("POST", "/service/work-orders/{work_order_id}/parts/{line_id}/drop"): Rule(PARTS_DESK, JOB),
    ("POST", "/service/work-orders/{work_order_id}/issue-parts"): Rule(PARTS_DESK, JOB),
    ("POST", "/service/work-orders/{work_order_id}/labour/{line_id}/clock-on"): Rule(WORKSHOP, JOB),
    ("POST", "/service/work-orders/{work_order_id}/labour/{line_id}/clock-off"): Rule(
        WORKSHOP, JOB
    ),
    ("GET", "/service/work-orders/{work_order_id}/estimate"): Rule(EVERYONE, JOB),
    ("GET", "/service/work-orders/{work_order_id}/history"): Rule(EVERYONE, JOB),
    ("GET", "/service/work-orders/{work_order_id}/estimates"): Rule(EVERYONE, JOB),
    ("POST", "/service/work-orders/{work_order_id}/estimates"): Rule(SERVICE_DESK, JOB),
    ("POST", "/service/work-orders/{work_order_id}/estimates/{version}/approve"): Rule(
        BOOKERS, JOB
    ),
    ("GET", "/service/invoices"): Rule(BOOKERS, JOB),
    ("GET", "/service/invoices/{invoice_id}"): Rule(BOOKERS, JOB),
    ("GET", "/service/pricing/{store_id}"): Rule(STAFF, STORE),
    ("PUT", "/service/pricing/{store_id}"): Rule(MANAGERS, STORE),
    ("GET", "/service/surveys"): Rule(SERVICE_DESK, STORE),
    ("GET", "/service/surveys/answer/{token}"): Rule(PUBLIC, TOKEN),
    ("POST", "/service/surveys/answer/{token}"): Rule(PUBLIC, TOKEN),
    ("GET", "/service/complaints"): Rule(SERVICE_DESK, STORE),
    ("POST", "/service/complaints/{complaint_id}/status"): Rule(SERVICE_DESK, STORE),
    ("GET", "/service/complaints/{complaint_id}/history"): Rule(SERVICE_DESK, STORE),
    ("GET", "/alerts"): Rule(EVERYONE, STORE_OR_OWN),
    ("GET", "/alerts/{alert_id}"): Rule(STAFF, STORE),
    ("POST", "/alerts/{alert_id}/acknowledge"): Rule(STAFF, STORE),
    ("POST", "/alerts/{alert_id}/clear"): Rule(STAFF, STORE),
    ("GET", "/proactive/policy"): Rule(STAFF, STORE),
    ("PUT", "/proactive/policy"): Rule(MANAGERS, STORE),
    ("GET", "/proactive/proposals"): Rule(STAFF, STORE),
    ("POST", "/proactive/proposals/{proposal_id}/accept"): Rule(SERVICE_DESK, STORE),
    ("POST", "/proactive/proposals/{proposal_id}/withdraw"): Rule(SERVICE_DESK, STORE),
    ("GET", "/proactive/kpi/first-time-fix"): Rule(STAFF, STORE),
    ("GET", "/feed"): Rule(STAFF, STORE),
    ("POST", "/feed/stream/ticket"): Rule(STAFF, STORE),
    ("GET", "/feed/stream"): Rule(PUBLIC, STREAM),
    ("GET", "/public/appointments/confirm"): Rule(PUBLIC, TOKEN),
    ("GET", "/public/appointments/reschedule"): Rule(PUBLIC, TOKEN),
    ("POST", "/public/appointments/reschedule"): Rule(PUBLIC, TOKEN),
    ("GET", "/notifications/inbox"): Rule(CUSTOMERS, CUSTOMER),
    ("POST", "/notifications/inbox/{notification_id}/read"): Rule(CUSTOMERS, CUSTOMER),
    ("POST", "/notifications/inbox/read-all"): Rule(CUSTOMERS, CUSTOMER),
    ("GET", "/notifications/push/public-key"): Rule(PUBLIC, TOKEN),
    ("GET", "/notifications/push/subscriptions"): Rule(CUSTOMERS, CUSTOMER),
    ("POST", "/notifications/push/subscriptions"): Rule(CUSTOMERS, CUSTOMER),
    ("DELETE", "/notifications/push/subscriptions/{subscription_id}"): Rule(CUSTOMERS, CUSTOMER),
    ("GET", "/notifications/preferences"): Rule(CUSTOMERS, CUSTOMER),
    ("PUT", "/notifications/preferences"): Rule(CUSTOMERS, CUSTOMER),
    ("GET", "/kpis"): Rule(STAFF, GROUP),
    ("GET", "/kpis/summary"): Rule(MANAGERS, STORE),
    ("GET", "/kpis/{kpi}"): Rule(MANAGERS, STORE),
    ("GET", "/kpis/{kpi}/records"): Rule(MANAGERS, STORE),
    ("PUT", "/kpis/{kpi}/targets/{store_id}"): Rule(MANAGERS, STORE),
    ("GET", "/forecasts/sales"): Rule(SELLERS, STORE),
    ("GET", "/forecasts/parts"): Rule(PARTS_WRITERS, STORE),
    ("GET", "/forecasts/churn"): Rule(MANAGERS, STORE),
    ("GET", "/notifications/deliveries"): Rule(STAFF, STORE),
    ("GET", "/notifications/quiet-hours/{store_id}"): Rule(STAFF, STORE),
    ("PUT", "/notifications/quiet-hours/{store_id}"): Rule(MANAGERS, STORE),
    ("GET", "/alarms"): Rule(MANAGERS, STORE),
    ("GET", "/alarms/{alarm_id}"): Rule(MANAGERS, STORE),
    ("POST", "/alarms/{alarm_id}/acknowledge"): Rule(MANAGERS, STORE),
}

# Fields that only some of a route's roles may set.
FIELDS: dict[str, frozenset[Role]] = {
    # a price, rate or hours other than the catalogue's (with a reason; audited)
    "price_override": SERVICE_DESK,
    "lead_consultant": MANAGERS,  # hand a lead to another consultant
}

ANY = "*"  # any source state, or any target state
WAITS = ("waiting_parts", "waiting_approval", "waiting_sublet")
TECHNICIANS = MANAGERS | {Role.technician}
SYSTEM_ONLY = frozenset({SYSTEM})

# Per state machine (its entity_type): (source, target) -> the roles that may take the step.
# The most specific rule wins: (source, target), then (source, ANY), (ANY, target), (ANY, ANY).
STEPS: dict[str, dict[tuple[str, str], frozenset[str]]] = {
    # 接车 → 诊断 → 报价 → 客户确认 → 维修 → 质检 → 结算 → 交车 → 回访
    # The system (seeding, the proactive loop) may take every step of a job it runs.
    "work_order": {
        (ANY, "checked_in"): SERVICE_DESK | SYSTEM_ONLY,
        (ANY, "diagnosis"): TECHNICIANS | SYSTEM_ONLY,
        (ANY, "estimate_sent"): SERVICE_DESK | SYSTEM_ONLY,
        (ANY, "customer_approved"): SERVICE_DESK | CUSTOMERS | SYSTEM_ONLY,
        ("customer_approved", "in_repair"): TECHNICIANS | SYSTEM_ONLY,
        ("quality_check", "in_repair"): TECHNICIANS | SYSTEM_ONLY,  # QC failed: back to work
        (ANY, "quality_check"): TECHNICIANS | SYSTEM_ONLY,
        (ANY, "settled"): SERVICE_DESK | SYSTEM_ONLY,  # QC passed: the advisor or cashier settles
        (ANY, "delivered"): SERVICE_DESK | SYSTEM_ONLY,
        (ANY, "follow_up"): SERVICE_DESK | SYSTEM_ONLY,  # the survey answered
        **{(ANY, wait): WORKSHOP | SYSTEM_ONLY for wait in WAITS},
        **{(wait, ANY): WORKSHOP | SYSTEM_ONLY for wait in WAITS},
        # Cancelling stays the desk's while the job waits: the wait rule above must not widen it.
        ("waiting_approval", "cancelled"): SERVICE_DESK | SYSTEM_ONLY,
        (ANY, "cancelled"): SERVICE_DESK | SYSTEM_ONLY,
    },
    "complaint": {(ANY, ANY): SERVICE_DESK | SYSTEM_ONLY},
    "appointment": {
        (ANY, "confirmed"): BOOKERS | SYSTEM_ONLY,
        (ANY, "booked"): BOOKERS | SYSTEM_ONLY,  # a reschedule
        (ANY, "cancelled"): BOOKERS | SYSTEM_ONLY,
        (ANY, "arrived"): SERVICE_DESK | SYSTEM_ONLY,
        (ANY, "no_show"): SERVICE_DESK | SYSTEM_ONLY,
    },
    "proactive_proposal": {(ANY, ANY): SERVICE_DESK | SYSTEM_ONLY},
    "part_reservation": {
        (ANY, "issued"): PARTS_DESK | SYSTEM_ONLY,
        (ANY, "released"): PARTS_DESK | SYSTEM_ONLY,
    },
    "purchase_order": {(ANY, ANY): PARTS_WRITERS | SYSTEM_ONLY},
    "sales_lead": {
        # Cancelling a signed order refunds or keeps a deposit: a manager's decision.
        (ANY, "cancelled"): MANAGERS,
        (ANY, ANY): SELLERS | SYSTEM_ONLY,
    },
    "sales_stock": {(ANY, ANY): SELLERS | SYSTEM_ONLY},
    "customer": {(ANY, ANY): CRM_EDITORS | SYSTEM_ONLY},
    # A manager acknowledges a business alarm; the alarm job closes it once the level settles.
    "business_alarm": {(ANY, ANY): MANAGERS | SYSTEM_ONLY},
}


def step_roles(entity_type: str, source: str | None, target: str) -> frozenset[str]:
    """The roles that may move a record of entity_type from source to target."""
    rules = STEPS[entity_type]
    for key in ((source, target), (source, ANY), (ANY, target), (ANY, ANY)):
        if key in rules:
            return rules[key]
    return frozenset()


def field_roles(field: str) -> frozenset[Role]:
    """The roles that may set one of FIELDS."""
    return FIELDS[field]


def route_rule(method: str, path: str) -> Rule | None:
    """The rule of one route (path as declared, e.g. /crm/customers/{customer_id})."""
    return ROUTES.get((method.upper(), path))


def unlisted_routes(operations: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The routes of an app that the policy does not name (the app refuses to start)."""
    return [op for op in operations if (op[0].upper(), op[1]) not in ROUTES]

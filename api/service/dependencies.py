"""Service route dependencies: who may do what in the workshop."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.auth.roles import MANAGERS, STAFF, Role
from api.deps import Principal, require_roles

# Advisors run appointments and work orders; managers and admins may too.
SERVICE_DESK = MANAGERS | {Role.service_advisor}
# The workshop floor: the desk plus technicians (their own jobs only, enforced in services).
WORKSHOP = SERVICE_DESK | {Role.technician}
PARTS_DESK = SERVICE_DESK | {Role.parts_clerk}
# Booking: the desk, and customers for their own vehicles.
BOOKERS = SERVICE_DESK | {Role.customer}
# Reading appointments, work orders, invoices: staff of the store, or the customer.
READERS = STAFF | {Role.customer}

ServiceDesk = Annotated[Principal, Depends(require_roles(SERVICE_DESK))]
Workshop = Annotated[Principal, Depends(require_roles(WORKSHOP))]
PartsDesk = Annotated[Principal, Depends(require_roles(PARTS_DESK))]
Booker = Annotated[Principal, Depends(require_roles(BOOKERS))]
Reader = Annotated[Principal, Depends(require_roles(READERS))]
InvoiceReader = Annotated[Principal, Depends(require_roles(SERVICE_DESK | {Role.customer}))]

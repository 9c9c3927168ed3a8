"""Sales route dependencies: who may sell, and who may manage stock and the catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.auth.roles import MANAGERS, Role
from api.deps import Principal, require_roles

SELLERS = MANAGERS | {Role.sales_consultant}
# Technicians carry out the PDI itself in most stores; consultants run the handover.
PDI_CHECKERS = SELLERS | {Role.technician}

Seller = Annotated[Principal, Depends(require_roles(SELLERS))]
StockManager = Annotated[Principal, Depends(require_roles(MANAGERS))]
PdiChecker = Annotated[Principal, Depends(require_roles(PDI_CHECKERS))]

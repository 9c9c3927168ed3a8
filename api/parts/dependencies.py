"""Parts route dependencies: who may read stock, reserve it, and write it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from api.deps import Principal, require_roles
from api.parts.constants import PARTS_WRITERS, RESERVERS, STOCK_READERS

StockReader = Annotated[Principal, Depends(require_roles(STOCK_READERS))]
Reserver = Annotated[Principal, Depends(require_roles(RESERVERS))]
PartsWriter = Annotated[Principal, Depends(require_roles(PARTS_WRITERS))]

"""Sales route dependencies: who may sell, and who may manage stock and the catalogue."""

from __future__ import annotations

from api.deps import CurrentUser

# The roles behind each name are the policy's (api/auth/policy.py).
Seller = CurrentUser
StockManager = CurrentUser
PdiChecker = CurrentUser

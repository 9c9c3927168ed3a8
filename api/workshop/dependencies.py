"""Route dependencies of the workshop and the work orders: who may do what in the service
department."""

from __future__ import annotations

from api.deps import CurrentUser

# The roles behind each name are the policy's (api/auth/policy.py); technicians reach only
# their own jobs and customers only their own records, enforced in the services.
ServiceDesk = CurrentUser
Workshop = CurrentUser
PartsDesk = CurrentUser
Booker = CurrentUser
Reader = CurrentUser
InvoiceReader = CurrentUser

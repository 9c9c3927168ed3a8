"""The dealer-management backend: one FastAPI app, one sub-package per domain."""

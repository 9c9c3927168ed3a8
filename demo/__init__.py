"""Demo data: a dealer group with stores, people, stock and history, one module per domain."""

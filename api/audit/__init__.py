"""The audit log of state transitions, written by api.state_machine for every domain."""

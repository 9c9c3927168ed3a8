"""The audit log: state transitions, written by api.state_machine for every domain, and
privileged actions, written by the services that take them."""

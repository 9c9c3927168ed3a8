"""The policy as a human-readable matrix: `python -m api.auth.matrix` writes docs/permissions.md.

tests/security/test_permissions_doc.py fails when the committed file differs from `render()`.
"""

from __future__ import annotations

import pkgutil
import sys
from importlib import import_module
from pathlib import Path

from api.auth.policy import FIELDS, ROUTES, SYSTEM, Rule
from api.auth.roles import Role
from api.domains import DOMAINS
from api.state_machine import StateMachine

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLES = tuple(Role)
COLUMNS = (*ROLES, SYSTEM)

HEADER = """# Permissions

Generated from `api/auth/policy.py` by `python -m api.auth.matrix`; do not edit by hand.
✓ = allowed, · = refused (403). A public route needs no sign-in (it checks its own link
token). Records: which records the allowed roles reach; any other record answers 404.
"""


def state_machines() -> list[StateMachine]:
    """Every state machine of the API's domains, in domain order."""
    found: list[StateMachine] = []
    for name in DOMAINS:
        package = import_module(f"api.{name}")
        for module in pkgutil.iter_modules(package.__path__):
            if module.name == "states":
                states = import_module(f"api.{name}.states")
                found += [v for v in vars(states).values() if isinstance(v, StateMachine)]
    return found


def _cells(rule: Rule) -> str:
    if rule.public:
        return " | ".join("public" for _ in ROLES)
    return " | ".join("✓" if role in rule.roles else "·" for role in ROLES)


def render() -> str:
    """The matrix, as Markdown."""
    lines = [HEADER, "## Routes", ""]
    lines.append("| method | path | " + " | ".join(ROLES) + " | records |")
    lines.append("| --- | --- | " + " | ".join("---" for _ in ROLES) + " | --- |")
    for (method, path), rule in ROUTES.items():
        lines.append(f"| {method} | `{path}` | {_cells(rule)} | {rule.records} |")
    lines += ["", "## Fields", "", "Fields that only some of a route's roles may set.", ""]
    lines.append("| field | " + " | ".join(ROLES) + " |")
    lines.append("| --- | " + " | ".join("---" for _ in ROLES) + " |")
    for field, roles in FIELDS.items():
        cells = " | ".join("✓" if role in roles else "·" for role in ROLES)
        lines.append(f"| {field} | {cells} |")
    lines += ["", "## State transitions", ""]
    lines.append(f"`{SYSTEM}` is automation (the proactive loop, survey answers, seeding).")
    for machine in state_machines():
        lines += ["", f"### {machine.entity_type}", ""]
        lines.append("| from | to | " + " | ".join(COLUMNS) + " |")
        lines.append("| --- | --- | " + " | ".join("---" for _ in COLUMNS) + " |")
        for t in machine.transitions:
            allowed = machine.roles_for(t.source, t.target)
            cells = " | ".join("✓" if role in allowed else "·" for role in COLUMNS)
            lines.append(f"| {t.source} | {t.target} | {cells} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write docs/permissions.md."""
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC.name}: {len(ROUTES)} routes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

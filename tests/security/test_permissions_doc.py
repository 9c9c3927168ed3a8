"""docs/permissions.md is the policy as people read it: it must be what `api.auth.matrix`
renders from api/auth/policy.py today, name every route of the app, and give every state
machine a section."""

from __future__ import annotations

import difflib
import re

import pytest

from api.auth import matrix
from api.auth.policy import ROUTES
from api.main import create_app, operations
from tests.factories import settings_for_tests

REGENERATE = "run `python -m api.auth.matrix` and commit docs/permissions.md"
ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", re.MULTILINE)
DIFF_LINES = 40
SECTION = re.compile(r"^### (\S+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def rendered() -> str:
    return matrix.render()


@pytest.fixture(scope="module")
def app():
    """The app as built for serving; only its routes are read (no database is reached)."""
    return create_app(settings_for_tests("postgresql://matrix@127.0.0.1:9/unused"))


def test_the_committed_document_is_the_rendered_policy(rendered):
    assert matrix.DOC.exists(), f"docs/permissions.md is missing: {REGENERATE}"
    committed = matrix.DOC.read_text(encoding="utf-8")
    if committed != rendered:
        diff = difflib.unified_diff(
            committed.splitlines(),
            rendered.splitlines(),
            "docs/permissions.md",
            "api.auth.matrix.render()",
            lineterm="",
        )
        shown = "\n".join(list(diff)[:DIFF_LINES])
        pytest.fail(f"docs/permissions.md is out of date: {REGENERATE}.\n{shown}")


def test_every_route_of_the_app_has_its_row(app, rendered):
    rows = ROW.findall(rendered)
    assert len(rows) == len(set(rows)), "a route has two rows"
    served = set(operations(app))
    assert served, "the app serves no route"
    missing = sorted(served - set(rows))
    assert not missing, f"routes of the app without a row in the document: {missing}"
    assert set(rows) == set(ROUTES), "the document's rows are not the policy's routes"


def test_every_state_machine_has_its_section(rendered):
    machines = [machine.entity_type for machine in matrix.state_machines()]
    assert machines, "no state machine found in the domains"
    sections = SECTION.findall(rendered)
    assert sections == machines, f"sections {sections}, machines {machines}"
    for machine in matrix.state_machines():
        body = rendered.split(f"### {machine.entity_type}\n", 1)[1].split("\n### ", 1)[0]
        steps = re.findall(r"^\| (\S+) \| (\S+) \| [✓·]", body, re.MULTILINE)
        declared = [(t.source, t.target) for t in machine.transitions]
        assert steps == declared, f"{machine.entity_type}: the section's rows are not its steps"

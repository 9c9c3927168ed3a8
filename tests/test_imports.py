"""What product code may import: never test code or test-only packages, never `cli`; the
running parts never the demo data; the diagnostics runtime never its lab or a simulator; and
the edge agent, which ships to a car, nothing of the server."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PRODUCT = [p.rstrip("*") for p in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]]
TEST_MODULES = {"tests", "fastapi.testclient", "starlette.testclient"}
SERVER = {"api", "ingest", "diagnostics", "simulators", "bench", "cli", "dashboards", "demo"}
# The parts that run in production; the demo data is for the command line, benchmarks and tests.
NOT_DEMO = {"api", "core", "ingest", "diagnostics", "simulators", "edge_agent"}
SERVER_LIBRARIES = {"sqlalchemy", "fastapi", "sklearn", "alembic", "uvicorn", "psycopg"}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s\[<>=!~;]", r, maxsplit=1)[0].lower() for r in requirements}


def only_for_tests() -> set[str]:
    """Import names of the distributions that only the test extra brings."""
    extra = _names(PYPROJECT["project"]["optional-dependencies"]["test"])
    only = extra - _names(PYPROJECT["project"]["dependencies"]) - {"pitstop"}
    return {
        module
        for module, dists in packages_distributions().items()
        if any(d.lower().replace("_", "-") in only for d in dists)
    }


def _runtime_nodes(node: ast.AST):
    """Every node, less what sits under `if TYPE_CHECKING:` (never imported at run time)."""
    yield node
    if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
        return
    for child in ast.iter_child_nodes(node):
        yield from _runtime_nodes(child)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports at run time, at any depth (inside functions too)."""
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def product_files() -> list[Path]:
    return [f for package in PRODUCT for f in sorted((ROOT / package).rglob("*.py"))]


def forbidden(imports: set[str], banned: set[str]) -> set[str]:
    return {m for m in imports if any(m == b or m.startswith(b + ".") for b in banned)}


def test_the_test_only_list_is_not_empty():
    banned = only_for_tests()
    assert {"pytest", "hypothesis", "schemathesis", "playwright"} <= banned, banned


def test_product_code_imports_no_test_code_or_test_only_package():
    banned = only_for_tests() | TEST_MODULES
    offenders = {
        str(f.relative_to(ROOT)): sorted(forbidden(imports_of(f), banned)) for f in product_files()
    }
    assert not {f: m for f, m in offenders.items() if m}


def test_nothing_but_the_command_line_imports_cli():
    offenders = [
        str(f.relative_to(ROOT))
        for f in product_files()
        if f.parts[len(ROOT.parts)] != "cli" and forbidden(imports_of(f), {"cli"})
    ]
    assert not offenders


def test_no_running_part_imports_the_demo_data():
    offenders = [
        str(f.relative_to(ROOT))
        for f in product_files()
        if f.parts[len(ROOT.parts)] in NOT_DEMO and forbidden(imports_of(f), {"demo"})
    ]
    assert not offenders


def test_the_edge_agent_imports_no_server_part():
    offenders = {
        str(f.relative_to(ROOT)): sorted(forbidden(imports_of(f), SERVER | SERVER_LIBRARIES))
        for f in sorted((ROOT / "edge_agent").rglob("*.py"))
    }
    assert not {f: m for f, m in offenders.items() if m}


def test_pitstop_edge_loads_no_server_library():
    """The gateway's process as pitstop-edge sets it up: no server part, and none of the
    libraries the agent does not use (pydantic, typer, and numpy that pint would load)."""
    code = (
        "import sys, edge_agent.cli; edge_agent.cli.leave_out_numpy(); "
        "import edge_agent.agent, edge_agent.obd_link; "
        "print(' '.join(name for name, module in sys.modules.items() if module))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "obd" in loaded and "paho.mqtt.client" in loaded
    unused = {"pydantic", "pydantic_settings", "typer", "numpy"}
    assert not forbidden(set(loaded), SERVER | SERVER_LIBRARIES | unused)


def test_the_checks_catch_an_offender(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f():\n    from fastapi.testclient import TestClient\n    import pytest\n"
    )
    assert forbidden(imports_of(sample), TEST_MODULES | {"pytest"}) == {
        "fastapi.testclient", "fastapi.testclient.TestClient", "pytest",
    }  # fmt: skip


def test_the_scoring_process_loads_no_simulator():
    code = (
        "import sys, diagnostics.service, diagnostics.learned.detector, diagnostics.registry; "
        "print(' '.join(sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not forbidden(set(loaded), {"simulators", "diagnostics.lab", "bench", "cli", "tests"})


def test_the_diagnostics_runtime_imports_no_lab_and_no_simulator():
    # The runtime is all of diagnostics but the lab and the command line that offers both.
    package = ROOT / "diagnostics"
    runtime = [
        f for f in sorted(package.rglob("*.py"))
        if f.parent != package / "lab" and f != package / "cli.py"
    ]  # fmt: skip
    assert package / "learned" / "detector.py" in runtime
    offenders = {
        str(f.relative_to(ROOT)): sorted(
            forbidden(imports_of(f), {"diagnostics.lab", "simulators"})
        )
        for f in runtime
    }
    assert not {f: m for f, m in offenders.items() if m}


def module_graph() -> dict[str, set[str]]:
    """Product module -> the product modules it imports."""
    names = {}
    for f in product_files():
        parts = f.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f

    def known(module: str) -> str | None:
        while module and module not in names:
            module = module.rpartition(".")[0]
        return module or None

    return {
        name: {m for i in imports_of(f) if (m := known(i)) and m != name}
        for name, f in names.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while (w := stack.pop()) != v:
                group.append(w)
            if group:
                found.append(sorted([v, *group]))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_module_imports_itself_in_a_circle():
    assert cycles(module_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]

"""The KPI definitions as a document: `python -m api.kpis.docs` writes docs/kpis.md.

tests/test_kpis.py fails when the committed file differs from `render()`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from api.kpis.definitions import DEPARTMENTS, DIMENSIONS, KPIS
from api.kpis.measures import MEASURES

DOC = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"

HEADER = """# KPIs

Generated from `api/kpis/definitions.py` and `api/kpis/measures.py` by
`python -m api.kpis.docs`; do not edit by hand.

Every KPI is a ratio of sums of daily measures over the period, for one store or several
together. The measures are summed per store and local day into `kpi_facts` by an incremental
rollup (`pitstop kpis refresh`, and every few minutes in `pitstop worker`); the API, the console
and Grafana read those sums, never the ledgers themselves. A KPI can be cut by a dimension only
when every measure it reads can. Each store sets a target per KPI; the KPI page shows the gap.
"""


def render() -> str:
    """docs/kpis.md, as Markdown."""
    lines = [HEADER]
    for department, (english, chinese) in DEPARTMENTS.items():
        kpis = [k for k in KPIS if k.department == department]
        lines += [f"## {english} ({chinese})", ""]
        lines.append("| KPI | unit | better | formula | by |")
        lines.append("| --- | --- | --- | --- | --- |")
        for k in kpis:
            by = ", ".join(DIMENSIONS[d][0].lower() for d in k.dimensions) or "store only"
            note = f" {k.summary}." if k.summary else ""
            lines.append(
                f"| **{k.name_en}** {k.name_zh} `{k.code}` | {k.unit} | {k.better} |"
                f" {k.formula}.{note} | {by} |"
            )
        lines.append("")
    lines += ["## Measures", "", "| measure | unit | what it sums | one row is | by |"]
    lines.append("| --- | --- | --- | --- | --- |")
    for m in MEASURES:
        by = ", ".join(m.dimensions) or "store only"
        lines.append(f"| `{m.code}` | {m.unit} | {m.summary} | {m.record} | {by} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    """Write docs/kpis.md."""
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC.name}: {len(KPIS)} KPIs, {len(MEASURES)} measures")
    return 0


if __name__ == "__main__":
    sys.exit(main())

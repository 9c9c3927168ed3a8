"""`python -m api.alarms.cli [--today YYYY-MM-DD]`: run the alarm job once (what the worker's
housekeeping does), on the configured database."""

from __future__ import annotations

import argparse
from datetime import date


def main(argv: list[str] | None = None) -> int:
    """Run the job once and print how many alarms are new."""
    parser = argparse.ArgumentParser(description="Raise business alarms from the KPI rollups.")
    parser.add_argument("--today", type=date.fromisoformat, help="judge up to the day before")
    args = parser.parse_args(argv)
    from api.alarms.detection import run_alarms
    from api.db import migrated_database, transaction

    with transaction(migrated_database()) as session:
        new = run_alarms(session, today=args.today)
    print(f"{new} new business alarm(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

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
    from api.db import make_engine, make_session_factory
    from api.models_base import load_all_models
    from core.db.embedded import resolve_database_url
    from core.db.migrate import upgrade

    url = resolve_database_url()
    upgrade(url)
    load_all_models()
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            new = run_alarms(session, today=args.today)
    finally:
        engine.dispose()
    print(f"{new} new business alarm(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Push the dashboards to a running Grafana over its HTTP API (needs the `grafana-client` extra).

Provisioning from files (docker-compose.yml) needs none of this; pushing is for a Grafana that
is not provisioned from this repository: `python -m dashboards.push --url URL --token TOKEN`.
"""

from __future__ import annotations

import argparse
import os
import sys

from dashboards.build import DASHBOARDS, render

FOLDER_UID = "pitstop"
FOLDER_TITLE = "Pitstop"
PUSH_TIMEOUT_S = 10.0  # one HTTP request; Grafana answers these in milliseconds


def dashboard_payload(name: str, folder_uid: str = FOLDER_UID) -> dict:
    """The body of POST /api/dashboards/db for one dashboard: overwrite the same uid."""
    return {
        "dashboard": render(name),
        "folderUid": folder_uid,
        "overwrite": True,
        "message": f"pitstop: {name} built from dashboards/",
    }


def push(url: str, token: str | None = None, folder_uid: str = FOLDER_UID) -> list[str]:
    """Create the folder if needed and upload every dashboard; returns their Grafana URLs."""
    try:
        from grafana_client import GrafanaApi
        from grafana_client.client import GrafanaClientError
    except ImportError:
        raise SystemExit("pushing needs grafana-client: pip install 'pitstop[grafana]'") from None
    api = GrafanaApi.from_url(url, credential=token, timeout=PUSH_TIMEOUT_S)
    try:
        api.folder.get_folder(folder_uid)
    except GrafanaClientError as exc:
        if exc.status_code != 404:
            raise
        api.folder.create_folder(FOLDER_TITLE, uid=folder_uid)
    return [
        api.dashboard.update_dashboard(dashboard_payload(name, folder_uid)).get("url", name)
        for name in DASHBOARDS
    ]


def main(argv: list[str] | None = None) -> int:
    """Command line: push to --url with --token (or GRAFANA_URL / GRAFANA_TOKEN)."""
    parser = argparse.ArgumentParser(prog="python -m dashboards.push", description=__doc__)
    parser.add_argument("--url", default=os.environ.get("GRAFANA_URL"), required=False)
    parser.add_argument("--token", default=os.environ.get("GRAFANA_TOKEN"))
    parser.add_argument("--folder-uid", default=FOLDER_UID)
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("give --url (e.g. http://localhost:3000) or set GRAFANA_URL")
    for pushed in push(args.url, args.token, args.folder_uid):
        print(f"pushed {pushed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Raw SQL targets for Grafana's PostgreSQL datasource (the SDK has no builder for it)."""

from __future__ import annotations

from typing import Literal

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.models import dashboard

# The datasource provisioned by deploy/grafana/provisioning/datasources/pitstop.yaml.
DATASOURCE_TYPE = "grafana-postgresql-datasource"
DATASOURCE_UID = "pitstop-db"
DATASOURCE = dashboard.DataSourceRef(type_val=DATASOURCE_TYPE, uid=DATASOURCE_UID)

Format = Literal["time_series", "table"]


class SqlQuery(cogvariants.Dataquery):
    """One raw SQL target of a panel."""

    def __init__(self, ref_id: str, raw_sql: str, format_: Format) -> None:
        self.ref_id = ref_id
        self.raw_sql = raw_sql
        self.format = format_

    def to_json(self) -> dict[str, object]:
        return {
            "refId": self.ref_id,
            "datasource": DATASOURCE.to_json(),
            "editorMode": "code",
            "format": self.format,
            "rawQuery": True,
            "rawSql": self.raw_sql,
        }


class Sql(cogbuilder.Builder[SqlQuery]):
    """Builder of a raw SQL target, in the style of the SDK's own query builders."""

    def __init__(self, raw_sql: str, format_: Format = "time_series", ref_id: str = "A") -> None:
        self._internal = SqlQuery(ref_id, " ".join(raw_sql.split()), format_)

    def build(self) -> SqlQuery:
        return self._internal

#!/bin/sh
# The read replica of the compose profile "cluster": on its first start it copies the primary
# with pg_basebackup (-R writes standby.signal and the connection), then runs as a hot standby.
# The API sends its read-heavy routes here (PITSTOP_DATABASE_READ_URL).
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h timescaledb -U replicator -d postgres; do sleep 2; done
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup -h timescaledb -U replicator \
    -D "$PGDATA" -X stream -R -c fast
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c max_standby_streaming_delay=30s

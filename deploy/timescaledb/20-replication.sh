#!/bin/sh
# First start of the primary only (docker-entrypoint-initdb.d): a role the read replica of the
# compose profile "cluster" streams WAL with, and the pg_hba line that lets it connect.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"

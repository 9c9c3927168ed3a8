#!/bin/sh
# First start of the database container only (docker-entrypoint-initdb.d).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v reader_role=grafana_reader -v reader_password="$GRAFANA_DB_PASSWORD" \
  -f /etc/pitstop/grafana-reader.sql

"""Read-only API over the telemetry that ingest writes."""

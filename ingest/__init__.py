"""Ingest: MQTT to PostgreSQL. Validate, deduplicate, batch with COPY, dead-letter what is bad."""

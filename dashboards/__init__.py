"""Grafana dashboards as code, built with grafana-foundation-sdk from the same SQL the tests run."""

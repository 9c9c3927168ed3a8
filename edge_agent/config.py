"""Checks on the retained /config message before the agent obeys it."""

from __future__ import annotations

import math

from core.signals import BY_NAME, SIGNALS
from core.wire import MAX_SAMPLES_PER_MESSAGE, VehicleConfig

# An ELM327 answers some 10 to 50 PIDs a second in all; faster periods cannot be honoured.
MIN_PERIOD_S = 0.1
# Longer than a day between reads is a typo, not a sampling plan.
MAX_PERIOD_S = 86_400.0


def config_problem(config: VehicleConfig) -> str | None:
    """Why the agent must not apply this config, or None when it is good."""
    if not config.signals:
        return "it names no signals"
    for name, period in config.signals.items():
        if name not in BY_NAME:
            return f"unknown signal {name!r}; known: {', '.join(BY_NAME)}"
        if problem := _period_problem(f"period of {name}", period):
            return problem
    if not 1 <= config.batch.max_samples <= MAX_SAMPLES_PER_MESSAGE:
        got = config.batch.max_samples
        return f"batch.max_samples must be 1..{MAX_SAMPLES_PER_MESSAGE}, got {got}"
    for label, value in (
        ("batch.max_age_s", config.batch.max_age_s),
        ("dtc_period_s", config.dtc_period_s),
        ("status_period_s", config.status_period_s),
    ):
        if problem := _period_problem(label, value):
            return problem
    return None


def _period_problem(label: str, seconds: float) -> str | None:
    if not math.isfinite(seconds) or not MIN_PERIOD_S <= seconds <= MAX_PERIOD_S:
        return f"{label} must be {MIN_PERIOD_S}..{MAX_PERIOD_S} s, got {seconds}"
    return None


def default_config() -> VehicleConfig:
    """Every catalogue signal at its default period, until the retained /config says otherwise."""
    return VehicleConfig(version=0, signals={s.name: s.period_s for s in SIGNALS})

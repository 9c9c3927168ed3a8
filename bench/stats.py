"""Figures the benchmarks share."""

from __future__ import annotations

import statistics


def median_p99(values: list[float]) -> tuple[float, float]:
    """The median and the 99th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]

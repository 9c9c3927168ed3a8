"""Random draws the demo's seeders share."""

from __future__ import annotations

import math
import random

NORMAL_ABOVE = 30  # above this mean, a normal draw stands in for the (slow) exact one


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count with this mean (Knuth's method; a rounded normal for large means)."""
    if mean > NORMAL_ABOVE:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1

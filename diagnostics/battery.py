"""Cranking voltage referred to 21 °C, as a battery load test reads it.

A healthy battery sags further while cranking in the cold: the load-test standards lower their
pass limit (9.6 V at 21 °C and above) by about 1.1 V at -18 °C. A dip read in the cold is
raised by the same allowance, so one limit serves every climate. The table is the usual
published one (BCI load-test minimums at 70, 60 ... 0 °F), in °C.
"""

from __future__ import annotations

import numpy as np

LOAD_TEST_C = (-17.8, -12.2, -6.7, -1.1, 4.4, 10.0, 15.6, 21.1)
LOAD_TEST_MIN_V = (8.5, 8.7, 8.9, 9.1, 9.3, 9.4, 9.5, 9.6)
COLDEST_C = -30.0  # no more allowance below this: such a dip is weak in any climate


def cold_allowance_v(temperature_c: float | None) -> float:
    """Volts to add to a dip read at this temperature (0 when it is unknown or warm)."""
    if temperature_c is None:
        return 0.0
    temperature_c = max(temperature_c, COLDEST_C)
    # Colder than the table's end: its last step continued, as the battery keeps losing power.
    slope = (LOAD_TEST_MIN_V[1] - LOAD_TEST_MIN_V[0]) / (LOAD_TEST_C[1] - LOAD_TEST_C[0])
    limit = (
        LOAD_TEST_MIN_V[0] - slope * (LOAD_TEST_C[0] - temperature_c)
        if temperature_c < LOAD_TEST_C[0]
        else float(np.interp(temperature_c, LOAD_TEST_C, LOAD_TEST_MIN_V))
    )
    return LOAD_TEST_MIN_V[-1] - limit


def referred_crank_v(volts: float, temperature_c: float | None) -> float:
    """A cranking dip as it would read at 21 °C."""
    return volts + cold_allowance_v(temperature_c)

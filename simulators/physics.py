"""What differs between model lines, and between the cars of one line.

A model line sets an engine's size, idle speed, thermostat, alternator, sensor quality and
the signals its engine computer answers; each car of the line varies around those within the
line's tolerances. DEFAULT_LINE is the line the lab trains on; the others exist so that a
model can be tested on engines it never saw. A car's variation is drawn from its own seed
through a separate generator, so a default-line car drives exactly as before.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

DEFAULT_LINE = "sim-1.6L"


@dataclass(frozen=True)
class Physics:
    displacement_l: float = 1.6
    idle_rpm: float = 760.0  # warm idle
    thermostat_opens_c: float = 87.0  # opening starts here and is complete 8 °C higher
    charge_v: float = 14.2  # the alternator's set point while moving (0.15 V lower at idle)
    noise: float = 1.0  # scale of the sensors' noise
    coolant_offset_c: float = 0.0  # what the coolant sensor reads too high
    volt_offset_v: float = 0.0  # what the voltage reading is too high
    missing: tuple[str, ...] = ()  # signals the engine computer does not answer


@dataclass(frozen=True)
class Line:
    physics: Physics
    tolerance: Physics  # per field, the spread of a car around the line (uniform, ±)


_NONE = Physics(0, 0, 0, 0, 0, 0, 0)
LINES: dict[str, Line] = {
    DEFAULT_LINE: Line(Physics(), _NONE),
    # A turbocharged 2.0 L: a hotter thermostat, a stronger alternator, coarser sensors, and
    # no ambient air reading.
    "sim-2.0T": Line(
        Physics(2.0, 700, 92, 14.45, 1.4, 1.5, 0.05, ("AMBIANT_AIR_TEMP",)),
        Physics(0, 30, 2, 0.1, 0.2, 1.0, 0.05),
    ),
    # A small 1.2 L with a "smart" alternator that charges low, a cooler thermostat, and no
    # downstream O2 sensor reading.
    "sim-1.2L": Line(
        Physics(1.2, 820, 82, 13.85, 0.8, -1.0, -0.05, ("O2_B1S2",)),
        Physics(0, 30, 2, 0.1, 0.1, 1.0, 0.05),
    ),
}


def car_physics(line: str, seed: int) -> Physics:
    """One car of the line: the line's physics, varied within its tolerances."""
    try:
        spec = LINES[line]
    except KeyError:
        raise ValueError(f"unknown model line {line!r}; known: {', '.join(LINES)}") from None
    rng = random.Random(f"physics:{seed}")
    base, spread = spec.physics, spec.tolerance
    varied = {
        name: getattr(base, name) + rng.uniform(-1, 1) * getattr(spread, name)
        for name in ("idle_rpm", "thermostat_opens_c", "charge_v", "noise",
                     "coolant_offset_c", "volt_offset_v")
    }  # fmt: skip
    return replace(base, **varied)

"""Drive cycles: what the driver asks for in each mode (idle, city, highway), and the gearbox."""

from __future__ import annotations

import random

MAX_ACCEL_KMH_PER_S = 8.0  # about 2.2 m/s², a brisk but ordinary start
MAX_DECEL_KMH_PER_S = 12.0  # about 3.3 m/s², firm braking
# Upper speed of each gear (km/h) and engine revolutions per km/h in that gear.
GEARS = ((15, 133.0), (30, 75.0), (50, 50.0), (70, 38.0), (95, 30.0), (999, 24.0))


class Driver:
    """Chooses a target speed that changes in legs: stop and go in town, cruising on highways."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.mode = "idle"
        self.target_kmh = 0.0
        self.leg_left_s = 0.0

    def set_mode(self, mode: str) -> None:
        """Start a new drive-cycle segment."""
        self.mode = mode
        self.leg_left_s = 0.0

    def step(self, speed_kmh: float, dt: float) -> float:
        """The new vehicle speed after dt seconds of following the current target."""
        self.leg_left_s -= dt
        if self.leg_left_s <= 0:
            self._new_leg(speed_kmh)
        delta = self.target_kmh - speed_kmh
        delta = max(-MAX_DECEL_KMH_PER_S * dt, min(MAX_ACCEL_KMH_PER_S * dt, delta))
        return max(0.0, speed_kmh + delta)

    def _new_leg(self, speed_kmh: float) -> None:
        rng = self.rng
        if self.mode == "idle":
            self.target_kmh, self.leg_left_s = 0.0, 3600.0
        elif self.mode == "highway":
            self.target_kmh, self.leg_left_s = rng.uniform(85, 120), rng.uniform(30, 150)
        elif speed_kmh > 5 and rng.random() < 0.6:  # town: a red light or a jam
            self.target_kmh, self.leg_left_s = 0.0, rng.uniform(10, 50)
        else:
            self.target_kmh, self.leg_left_s = rng.uniform(20, 60), rng.uniform(15, 120)


def gear_rpm(speed_kmh: float) -> float:
    """Engine speed that the gearbox imposes at this road speed (automatic shift points)."""
    for top, ratio in GEARS:
        if speed_kmh <= top:
            return speed_kmh * ratio
    return speed_kmh * GEARS[-1][1]

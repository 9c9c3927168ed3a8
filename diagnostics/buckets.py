"""Running aggregates in time buckets: the arithmetic under a car's window features.

A bucket is a flat list of floats: for each statistic in STATS its count, sum, sum of squares,
minimum and maximum; then the paired O2 sums, the O2 crossings and the sample counts. Buckets
merge by adding (minimum and maximum by comparing), so a window never needs its samples again.
The layout is saved with each car's features: change it only with a way to read old states.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

NAN = math.nan
O2_MIN_PAIRS = 60  # fewer paired O2 samples give no correlation (with 30, chance reached 0.6)
O2_MIN_CROSSINGS = 10  # fewer upstream crossings give no switching ratio

STATS = (
    "rest_v", "crank_v", "charge_v", "coolant", "coolant_warm", "warmup_s",
    "ltft", "ltft_idle", "rpm_idle", "load_idle",
)  # fmt: skip
_IDX = {name: i * 5 for i, name in enumerate(STATS)}
_MINMAX = tuple(i + 3 for i in _IDX.values())
_O2 = len(STATS) * 5  # n, sx, sy, sxx, syy, sxy
_CROSS = _O2 + 6  # upstream crossings, downstream crossings
_COUNT = _CROSS + 2  # samples, running samples
WIDTH = _COUNT + 2

Bucket = list[float]
# A window's closed buckets, merged once: (first index, last closed index, their merge).
Closed = tuple[int, int, Bucket]


def empty() -> Bucket:
    bucket = [0.0] * WIDTH
    for i in _IDX.values():
        bucket[i + 3], bucket[i + 4] = math.inf, -math.inf
    return bucket


def merge(into: Bucket, other: Bucket) -> None:
    """Add other into `into`."""
    for i in _IDX.values():
        into[i] += other[i]
        into[i + 1] += other[i + 1]
        into[i + 2] += other[i + 2]
        into[i + 3] = min(into[i + 3], other[i + 3])
        into[i + 4] = max(into[i + 4], other[i + 4])
    for i in range(_O2, WIDTH):
        into[i] += other[i]


def merged(a: Bucket, b: Bucket) -> Bucket:
    """A new bucket holding both (a and b are left as they are)."""
    out = [x + y for x, y in zip(a, b, strict=True)]
    for i in _MINMAX:
        out[i], out[i + 1] = min(a[i], b[i]), max(a[i + 1], b[i + 1])
    return out


def bucket_at(buckets: dict[int, Bucket], index: int, keep: int) -> Bucket:
    """The bucket at index, made when new (dropping those more than `keep` behind it)."""
    bucket = buckets.get(index)
    if bucket is None:
        bucket = buckets[index] = empty()
        for old in [k for k in buckets if k <= index - keep]:
            del buckets[old]
    return bucket


def add(
    targets: tuple[Bucket, ...], observations: Iterable[tuple[str, float]], running: bool
) -> None:
    """Count one sample (and whether the engine ran) and its observations into each bucket."""
    for bucket in targets:
        bucket[_COUNT] += 1
        bucket[_COUNT + 1] += running
    for stat, value in observations:
        i = _IDX[stat]
        for bucket in targets:
            bucket[i] += 1
            bucket[i + 1] += value
            bucket[i + 2] += value * value
            if value < bucket[i + 3]:
                bucket[i + 3] = value
            if value > bucket[i + 4]:
                bucket[i + 4] = value


def add_o2(
    targets: tuple[Bucket, ...], up: float, down: float, crossed_up: bool, crossed_down: bool
) -> None:
    """One paired reading of the upstream and downstream O2 sensors, and their crossings."""
    for bucket in targets:
        bucket[_O2] += 1
        bucket[_O2 + 1] += up
        bucket[_O2 + 2] += down
        bucket[_O2 + 3] += up * up
        bucket[_O2 + 4] += down * down
        bucket[_O2 + 5] += up * down
        bucket[_CROSS] += crossed_up
        bucket[_CROSS + 1] += crossed_down


def aggregate(bucket: Bucket, stat: str, how: str) -> float:
    """A statistic's mean, min, max or std (NaN when it was not observed)."""
    i = _IDX[stat]
    n = bucket[i]
    if n <= 0:
        return NAN
    if how == "mean":
        return bucket[i + 1] / n
    if how == "min":
        return bucket[i + 3]
    if how == "max":
        return bucket[i + 4]
    mean = bucket[i + 1] / n
    return math.sqrt(max(0.0, bucket[i + 2] / n - mean * mean)) if n >= 2 else NAN


def o2(bucket: Bucket) -> tuple[float, float]:
    """The O2 sensors' correlation and downstream-to-upstream switching ratio."""
    n, sx, sy, sxx, syy, sxy = bucket[_O2 : _O2 + 6]
    corr = NAN
    if n >= O2_MIN_PAIRS:
        vx, vy = sxx / n - (sx / n) ** 2, syy / n - (sy / n) ** 2
        if vx > 1e-9 and vy > 1e-9:
            corr = max(-1.0, min(1.0, (sxy / n - sx * sy / n / n) / math.sqrt(vx * vy)))
    up, down = bucket[_CROSS], bucket[_CROSS + 1]
    return corr, (down / up if up >= O2_MIN_CROSSINGS else NAN)


def samples(bucket: Bucket) -> tuple[float, float]:
    """How many samples the bucket counted, and how many of them with the engine running."""
    return bucket[_COUNT], bucket[_COUNT + 1]


def window(
    buckets: dict[int, Bucket],
    ts_ms: int,
    size: int,
    span: int,
    newest_ms: int | None,
    closed: Closed | None,
) -> tuple[Bucket, Closed]:
    """The merge of the buckets (of `size` ms) in the span ending at ts_ms, and the merge of
    its closed buckets to pass back next time.

    Samples arrive in time order, so every bucket older than the one holding newest_ms is
    closed for good: they are merged once, and only the newer ones on each call.
    """
    first, last = (ts_ms - span) // size + 1, ts_ms // size
    newest = last if newest_ms is None else newest_ms // size
    closed_end = min(last, newest) - 1  # buckets up to here can no longer change
    if closed is None or closed[0] != first or closed[1] != closed_end:
        done = empty()
        for index, bucket in buckets.items():
            if first <= index <= closed_end:
                merge(done, bucket)
        closed = (first, closed_end, done)
    out = closed[2]
    for index in range(max(first, closed_end + 1), last + 1):
        if (bucket := buckets.get(index)) is not None:
            out = merged(out, bucket)
    return out, closed


def to_json(values: list) -> list:
    """The values (a bucket, or any list) with infinities and NaN as None, for JSON."""
    return [v if not isinstance(v, float) or math.isfinite(v) else None for v in values]


def from_json(values: list) -> Bucket:
    """A bucket written by to_json()."""
    bucket = [0.0 if v is None else float(v) for v in values]
    for i in _IDX.values():
        if values[i + 3] is None:
            bucket[i + 3] = math.inf
        if values[i + 4] is None:
            bucket[i + 4] = -math.inf
    return bucket

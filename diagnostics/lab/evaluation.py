"""Measuring the models: alert episodes per car, thresholds from validation data, and reports.

Each hourly row's score goes through the same persistence Gate as the service's alert path
(diagnostics.persistence): a row is active at the mode's threshold, healthy below CLEAR_RATIO
of it, and an alert opens once k of the car's last n hours were active, so one wobbling score
is neither an alert nor a new one. Per failure mode:
  recall          faulty cars with an alert of their mode opening between onset and failure
  precision       of the cars alerted for a mode, the share caught (as recall counts them)
  lead_days       median time from the opening of that alert to the failure
  false_per_1000  alerts that open in healthy time, per 1,000 healthy car-days

Only the opening of an alert counts. An alert that opens before the fault's onset is a false
alert and never a catch, even while it stays open into the fault window; and since a car has
one open alert per mode, it masks the fault: the car is caught only if that alert closes and a
new one of the mode opens between onset and failure, otherwise it is a miss. An alert of
another mode opening in the window is neither a catch nor a false alert (wrong_mode_alerts);
its car still counts as alerted, against precision.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_fscore_support

from core.clock import DAY_MS
from diagnostics.lab.fleetdata import Windows
from diagnostics.learned.calibration import calibrate
from diagnostics.modes import FAULT_KIND_MODES
from diagnostics.persistence import IMMEDIATE, Gate, alert_starts, gated_statuses
from simulators.faults import KINDS

CLEAR_RATIO = 0.7  # an hour is healthy when its score falls below this share of the threshold
FALSE_BUDGET_PER_1000 = 0.5  # false alerts allowed per 1,000 healthy car-days, all modes
ROWS_PER_DAY = 24
UNKNOWN_ROW = "unknown cause"  # the anomaly model's alert row; its false alerts are in the summary
WATCH_ROW = "anomaly (watch)"  # its row when it only adds to explanations
# No threshold is set below this score, however quiet the healthy training cars were: a
# probability of a few in a thousand is no evidence of a fault, and a car unlike the simulated
# fleet would cross such a threshold all the time.
MIN_THRESHOLD = 0.1


def statuses(w: Windows, scores: np.ndarray, threshold: float, gate: Gate = IMMEDIATE):
    """Each row's gated status at this threshold."""
    return gated_statuses(scores, w.car, threshold, CLEAR_RATIO, gate)


def starts(w: Windows, scores: np.ndarray, threshold: float, gate: Gate = IMMEDIATE) -> np.ndarray:
    """The rows where an alert opens at this threshold."""
    return alert_starts(statuses(w, scores, threshold, gate), w.car)


def healthy_car_days(w: Windows) -> float:
    """Car-days of healthy time (healthy cars, and faulty cars before onset)."""
    return float((w.mode == "").sum()) / ROWS_PER_DAY


def choose_threshold(
    w: Windows,
    scores: np.ndarray,
    allowed_false: int,
    gate: Gate = IMMEDIATE,
    floor: float = MIN_THRESHOLD,
) -> float:
    """The lowest threshold, floor or above, whose alerts start in healthy time <= allowed_false."""
    healthy = w.mode == ""
    known = scores[healthy]
    known = known[np.isfinite(known)]
    if len(known) == 0:
        return 0.5
    candidates = np.unique(np.round(known, 4))[::-1]
    candidates = candidates[candidates >= floor]
    if len(candidates) == 0:
        return floor  # every healthy score is below it
    best = float(min(1.0, candidates[0] + 1e-4))  # above every healthy score: no false alert
    lo, hi = 0, len(candidates) - 1
    # False alerts grow as the threshold falls: binary search the lowest acceptable one.
    while lo <= hi:
        mid = (lo + hi) // 2
        t = float(candidates[mid]) + 1e-4
        if int(healthy[starts(w, scores, t, gate)].sum()) <= allowed_false:
            best, lo = t, mid + 1
        else:
            hi = mid - 1
    return best


def allowed_false_alerts(w: Windows, modes: int) -> int:
    """How many false alerts one mode may raise on these windows within the budget."""
    return math.floor(FALSE_BUDGET_PER_1000 * healthy_car_days(w) / 1000 / max(1, modes))


def mode_report(
    w: Windows, mode: str | None, scores: np.ndarray, threshold: float, gate: Gate = IMMEDIATE
) -> dict:
    """Recall, precision, lead and false alerts of one mode (mode None: any fault, anomaly)."""
    opened = starts(w, scores, threshold, gate)
    healthy = w.mode == ""
    target = (w.mode != "") if mode is None else (w.mode == mode)
    faulty_cars = {
        s.index for s in w.cars
        if s.fault and (mode is None or s.fault.kind == mode) and s.index in set(w.car)
    }  # fmt: skip
    # A catch is an alert that opens in the fault window; one opened before onset and still
    # open is a false alert that hides the fault (no new alert opens while it is open).
    opened_in_window = opened[target[opened]]
    leads = []
    for c in sorted(faulty_cars):
        hit = opened_in_window[w.car[opened_in_window] == c]
        if len(hit):
            failure = w.cars[c].fault.failure_ms
            leads.append((failure - int(w.ts_ms[hit[0]])) / DAY_MS)
    alerted = set(w.car[opened].tolist())
    caught = len(leads)
    days = healthy_car_days(w)
    false = int(healthy[opened].sum())
    wrong_mode = int((~healthy[opened] & ~target[opened]).sum())
    return {
        "cars": len(faulty_cars),
        "caught": caught,
        "alerted_cars": len(alerted),
        "recall": caught / len(faulty_cars) if faulty_cars else math.nan,
        "precision": caught / len(alerted) if alerted else math.nan,
        "lead_days": float(np.median(leads)) if leads else math.nan,
        "leads": leads,
        "false_alerts": false,
        "wrong_mode_alerts": wrong_mode,
        "healthy_car_days": days,
        "false_per_1000": 1000 * false / days if days else math.nan,
        "threshold": threshold,
    }


def summarise(per_mode: dict[str, dict], also_false: dict | None = None) -> dict:
    """Fleet-wide figures over the failure modes; also_false adds the false alerts of another
    alerting row (the unknown-cause alert) to the false-alert rate."""
    rows = [r for r in per_mode.values() if r["cars"]]
    cars = sum(r["cars"] for r in rows)
    caught = sum(r["caught"] for r in rows)
    alerted = sum(r["alerted_cars"] for r in per_mode.values())
    leads = [x for r in rows for x in r["leads"]]
    days = next(iter(per_mode.values()))["healthy_car_days"] if per_mode else 0.0
    false = sum(r["false_alerts"] for r in per_mode.values())
    false += also_false["false_alerts"] if also_false else 0
    return {
        "recall": caught / cars if cars else math.nan,
        "precision": caught / alerted if alerted else math.nan,
        "lead_days": float(np.median(leads)) if leads else math.nan,
        "false_per_1000": 1000 * false / days if days else math.nan,
    }


def confusion(w: Windows, opened: dict[str, np.ndarray]) -> dict[str, dict[str, int]]:
    """Per true failure mode, the modes of the alerts that opened in its fault windows.

    opened maps a fault kind to the rows where its alert opens. Kinds are counted as the
    alert modes they raise (thermostat and coolant leak are both cooling), once per car and
    mode, as the service opens one alert per car and mode.
    """
    seen: set[tuple[int, str]] = set()
    out: dict[str, Counter] = {}
    for kind, rows in opened.items():
        alerted = FAULT_KIND_MODES.get(kind, kind)
        for row in rows[w.mode[rows] != ""]:
            if (int(w.car[row]), alerted) in seen:
                continue
            seen.add((int(w.car[row]), alerted))
            true = FAULT_KIND_MODES.get(str(w.mode[row]), str(w.mode[row]))
            out.setdefault(true, Counter())[alerted] += 1
    return {true: dict(found.most_common()) for true, found in sorted(out.items())}


CALIBRATION_BINS = 10
SPEAKS = 0.05  # a probability below this says "no fault"


def calibration_report(w: Windows, mode: str, scores: np.ndarray, knots) -> dict:
    """How well a mode's probabilities match how often its fault is there, raw and calibrated.

    Judged on the hours where either probability is at least SPEAKS (on the rest, both say
    "no" and are right almost always, which would swamp the figures): the expected
    calibration error (the hour-weighted gap between mean probability and fault frequency
    over ten equal-width bins) and the Brier score (the mean squared error).
    """
    calibrated = calibrate(knots, scores)
    with np.errstate(invalid="ignore"):
        rows = np.isfinite(scores) & ((scores >= SPEAKS) | (calibrated >= SPEAKS))
    truth = (w.mode[rows] == mode).astype(float)
    out = {"rows": int(rows.sum()), "fault_rows": int(truth.sum())}
    for name, p in (("raw", scores[rows]), ("calibrated", calibrated[rows])):
        bins = np.minimum((p * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
        gap = sum(
            abs(p[bins == b].mean() - truth[bins == b].mean()) * (bins == b).sum()
            for b in np.unique(bins)
        )
        out[name] = {
            "ece": float(gap / len(p)) if len(p) else float("nan"),
            "brier": float(np.mean((p - truth) ** 2)) if len(p) else float("nan"),
        }
    return out


def calibration_lines(calibration: dict[str, dict]) -> list[str]:
    """Per mode, how far the raw and the calibrated probabilities are from fault frequency."""
    out = [
        f"probability vs fault frequency, on hours where either is {SPEAKS} or more "
        "(calibration error and Brier score, raw -> calibrated):"
    ]
    for mode, r in calibration.items():
        if not r["rows"]:
            continue
        raw, cal = r["raw"], r["calibrated"]
        out.append(
            f"  {mode:<12} {raw['ece']:.3f} -> {cal['ece']:.3f}, {raw['brier']:.3f} -> "
            f"{cal['brier']:.3f} over {r['rows']} hours, {r['fault_rows']} in a fault window"
        )
    return out


POOLED = ("cars", "caught", "alerted_cars", "false_alerts", "wrong_mode_alerts", "healthy_car_days")


def pool(reports: list[dict]) -> dict:
    """One report over several (the folds of leave-one-line-out): counts summed, rates redone."""
    modes: dict[str, dict] = {}
    for report in reports:
        for mode, r in report["modes"].items():
            into = modes.setdefault(mode, {k: 0 for k in POOLED} | {"leads": []})
            for k in POOLED:
                into[k] += r[k]
            into["leads"] += r["leads"]
    for r in modes.values():
        r["recall"] = r["caught"] / r["cars"] if r["cars"] else math.nan
        r["precision"] = r["caught"] / r["alerted_cars"] if r["alerted_cars"] else math.nan
        r["lead_days"] = float(np.median(r["leads"])) if r["leads"] else math.nan
        days = r["healthy_car_days"]
        r["false_per_1000"] = 1000 * r["false_alerts"] / days if days else math.nan
        r["threshold"] = math.nan  # each fold has its own
    failure_modes = {m: r for m, r in modes.items() if m in KINDS}
    matrix: dict[str, Counter] = {}
    for report in reports:
        for true, found in report.get("confusion", {}).items():
            matrix.setdefault(true, Counter()).update(found)
    return {
        "seed": ", ".join(dict.fromkeys(str(r["seed"]) for r in reports)),
        "cars": sum(r["cars"] for r in reports),
        "healthy_car_days": sum(r["healthy_car_days"] for r in reports),
        "modes": modes,
        "summary": summarise(failure_modes, also_false=modes.get(UNKNOWN_ROW)),
        "confusion": {t: dict(c.most_common()) for t, c in sorted(matrix.items())},
        "notes": [],
    }


def confusion_lines(matrix: dict[str, dict[str, int]]) -> list[str]:
    """The mode confusion as text: one line per true mode, right mode first."""
    out = []
    for true, found in matrix.items():
        right = found.get(true, 0)
        wrong = ", ".join(f"{mode} {n}" for mode, n in found.items() if mode != true)
        out.append(f"  {true:<10} right mode {right}" + (f"; wrong mode: {wrong}" if wrong else ""))
    return ["alerts opened in fault windows, by true mode (first per car and mode):", *out]


def summary_line(summary: dict) -> str:
    """The one-line summary: recall=0.93 precision=0.88 lead_days=4.1 false_per_1000=0.6."""
    return (
        f"recall={summary['recall']:.2f} precision={summary['precision']:.2f} "
        f"lead_days={summary['lead_days']:.1f} false_per_1000={summary['false_per_1000']:.1f}"
    )


def format_report(report: dict) -> list[str]:
    """The evaluation report as lines of text; the last one is the summary line."""
    lines = [
        f"held-out fleet: {report['cars']} cars, seed {report['seed']}, "
        f"{report['healthy_car_days']:.0f} healthy car-days",
        f"{'mode':<16}{'cars':>5}{'caught':>7}{'recall':>8}{'precision':>10}"
        f"{'lead_days':>10}{'false/1000':>11}{'threshold':>10}",
    ]
    # Stored reports come back from jsonb with their keys reordered: print in KINDS order.
    order = {k: i for i, k in enumerate(KINDS)}
    for mode, r in sorted(report["modes"].items(), key=lambda kv: order.get(kv[0], len(order))):
        lines.append(
            f"{mode:<16}{r['cars']:>5}{r['caught']:>7}{r['recall']:>8.2f}{r['precision']:>10.2f}"
            f"{r['lead_days']:>10.1f}{r['false_per_1000']:>11.2f}{r['threshold']:>10.3f}"
        )
    if report.get("confusion"):
        lines += confusion_lines(report["confusion"])
    if report.get("calibration"):
        lines += calibration_lines(report["calibration"])
    lines += report.get("notes", [])
    if "ttf_mae_days" in report:
        lines.append(f"time-to-failure error (median absolute): {report['ttf_mae_days']:.1f} days")
    lines.append(summary_line(report["summary"]))
    return lines


# ---- row-level data (AI4I): one row is one case, no time ---------------------------------


def choose_row_thresholds(
    labels: dict[str, np.ndarray], proba: dict[str, np.ndarray]
) -> dict[str, float]:
    """Per mode, the threshold with the best F1 on validation rows."""
    out = {}
    for mode, p in proba.items():
        y = labels[mode]
        best, best_f1 = 1.01, 0.0  # with no useful threshold, the mode is never predicted
        for t in np.unique(np.round(p, 3)):
            pred = p >= t
            tp = int((pred & y).sum())
            f1 = 2 * tp / (pred.sum() + y.sum()) if (pred.sum() + y.sum()) else 0.0
            if f1 > best_f1:
                best, best_f1 = float(t), f1
        out[mode] = best
    return out


def row_report(
    labels: dict[str, np.ndarray], proba: dict[str, np.ndarray], thresholds: dict[str, float]
) -> dict[str, dict]:
    """Per mode: positives, recall, precision, F1 at the threshold, and average precision."""
    out = {}
    for mode, p in proba.items():
        y = labels[mode]
        pr, rc, f1, _ = precision_recall_fscore_support(
            y, p >= thresholds[mode], average="binary", zero_division=0
        )
        ap = average_precision_score(y, p) if y.any() else math.nan
        out[mode] = {
            "positives": int(y.sum()),
            "recall": float(rc),
            "precision": float(pr),
            "f1": float(f1),
            "average_precision": float(ap),
        }
    return out

"""AI4I 2020 predictive-maintenance data, regenerated from its published generation rules.

The public data set (Matzka, 2020) is synthetic: 10,000 milling runs with five failure modes.
Rebuilding it from the rules lets the fleet's training pipeline be checked on data that it was
not designed around. Constants marked "calibrated" are not in the description; they were set
so that the published marginals (rpm mean about 1540, sd about 180) and failure rates hold.
"""

from __future__ import annotations

import math

import numpy as np

ROWS = 10_000
TYPES = ("L", "M", "H")
TYPE_SHARES = (0.5, 0.3, 0.2)
TOOL_WEAR_ADDED_MIN = {"L": 2, "M": 3, "H": 5}  # the quality variants H/M/L add 5/3/2 min
OSF_LIMIT_MIN_NM = {"L": 11_000, "M": 12_000, "H": 13_000}  # wear x torque overstrain limits
AIR_K, AIR_SD_K = 300.0, 2.0
PROCESS_OFFSET_K, PROCESS_SD_K = 10.0, 1.0
NOMINAL_POWER_W = 2860.0
RPM_NO_LOAD = 840.0  # calibrated: speed offset on top of the power hyperbola
RPM_NOISE_SD = 100.0  # calibrated
TORQUE_NM, TORQUE_SD_NM = 40.0, 10.0
TOOL_LIFE_MIN = (200, 240)  # the tool is replaced or fails at a wear drawn from this range
TOOL_FAILS_SHARE = 51 / 120  # replaced 69 times, failed 51 times in the published data
HDF_DELTA_K, HDF_RPM = 8.6, 1380.0
PWF_LOW_W, PWF_HIGH_W = 3500.0, 9000.0
RNF_P = 0.001
MODES = ("TWF", "HDF", "PWF", "OSF", "RNF")
LEARNABLE = ("TWF", "HDF", "PWF", "OSF")  # RNF is random by construction: nothing predicts it
FEATURES = (
    "type_L",
    "type_M",
    "type_H",
    "air_temperature_k",
    "process_temperature_k",
    "rotational_speed_rpm",
    "torque_nm",
    "tool_wear_min",
    # Physical combinations, as a process engineer would give them to any model:
    "temperature_difference_k",
    "power_w",
    "strain_min_nm",
)


def _walk(rng: np.random.Generator, n: int, mean: float, sd: float) -> np.ndarray:
    steps = np.cumsum(rng.normal(0, 1, n))
    return mean + (steps - steps.mean()) / steps.std() * sd


def generate(rows: int = ROWS, seed: int = 0) -> dict[str, np.ndarray]:
    """The data set as columns: FEATURES as floats, 'type', each of MODES and 'machine_failure'."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(np.array(TYPES), size=rows, p=TYPE_SHARES)
    air = _walk(rng, rows, AIR_K, AIR_SD_K)
    process = air + _walk(rng, rows, PROCESS_OFFSET_K, PROCESS_SD_K)
    torque = np.clip(rng.normal(TORQUE_NM, TORQUE_SD_NM, rows), 3.0, None)
    # Speed follows the nominal power at this torque (P = torque x angular speed), plus noise.
    rpm = RPM_NO_LOAD + NOMINAL_POWER_W / torque * 60 / (2 * math.pi)
    rpm = np.round(rpm + rng.normal(0, RPM_NOISE_SD, rows))
    wear = np.zeros(rows)
    twf = np.zeros(rows, dtype=bool)
    tool, life = 0.0, rng.integers(*TOOL_LIFE_MIN, endpoint=True)
    for i in range(rows):
        tool += TOOL_WEAR_ADDED_MIN[kind[i]]
        wear[i] = tool
        if tool >= life:
            twf[i] = rng.random() < TOOL_FAILS_SHARE
            tool, life = 0.0, rng.integers(*TOOL_LIFE_MIN, endpoint=True)
    power = torque * rpm * 2 * math.pi / 60
    osf_limit = np.vectorize(OSF_LIMIT_MIN_NM.get)(kind)
    modes = {
        "TWF": twf,
        "HDF": (process - air < HDF_DELTA_K) & (rpm < HDF_RPM),
        "PWF": (power < PWF_LOW_W) | (power > PWF_HIGH_W),
        "OSF": wear * torque > osf_limit,
        "RNF": rng.random(rows) < RNF_P,
    }
    data = {
        "type": kind,
        "type_L": (kind == "L").astype(float),
        "type_M": (kind == "M").astype(float),
        "type_H": (kind == "H").astype(float),
        "air_temperature_k": np.round(air, 1),
        "process_temperature_k": np.round(process, 1),
        "rotational_speed_rpm": rpm,
        "torque_nm": np.round(torque, 1),
        "tool_wear_min": wear,
        "temperature_difference_k": process - air,
        "power_w": power,
        "strain_min_nm": wear * torque,
        **modes,
    }
    data["machine_failure"] = np.logical_or.reduce([modes[m] for m in MODES])
    return data


def matrix(data: dict[str, np.ndarray]) -> np.ndarray:
    """The feature matrix (rows x FEATURES) of a generated data set."""
    return np.column_stack([data[f].astype(float) for f in FEATURES])


VALIDATION_SHARE = 0.25  # of the training rows, kept out of fitting to choose thresholds


def evaluate(rows: int = ROWS, seed: int = 0, test_seed: int = 1) -> dict:
    """Fit the fleet's per-mode classifiers on one generated set, test on another seed's."""
    from diagnostics.lab.evaluation import choose_row_thresholds, row_report
    from diagnostics.lab.predictor import fit_classifiers, predict_proba

    train, test = generate(rows, seed), generate(rows, test_seed)
    X, X_test = matrix(train), matrix(test)
    rng = np.random.default_rng(seed)
    val = rng.random(len(X)) < VALIDATION_SHARE
    labels = {m: train[m].astype(bool) for m in LEARNABLE}
    models = fit_classifiers(X[~val], {m: y[~val] for m, y in labels.items()}, seed=seed)
    thresholds = choose_row_thresholds(
        {m: y[val] for m, y in labels.items()}, predict_proba(models, X[val])
    )
    test_labels = {m: test[m].astype(bool) for m in models}
    report = row_report(test_labels, predict_proba(models, X_test), thresholds)
    return {
        "rows": rows,
        "failure_rate": float(train["machine_failure"].mean()),
        "counts": {m: int(train[m].sum()) for m in MODES},
        "modes": report,
        "not_learned": [m for m in MODES if m not in models],
    }


def format_report(report: dict) -> list[str]:
    """The AI4I check as lines of text."""
    lines = [
        f"AI4I 2020 (regenerated, {report['rows']} rows, machine failures "
        f"{100 * report['failure_rate']:.1f} %): per mode on a second generated set",
        f"{'mode':<6}{'positives':>10}{'recall':>8}{'precision':>10}{'f1':>6}{'avg_prec':>9}",
    ]
    for mode, r in report["modes"].items():
        lines.append(
            f"{mode:<6}{r['positives']:>10}{r['recall']:>8.2f}{r['precision']:>10.2f}"
            f"{r['f1']:>6.2f}{r['average_precision']:>9.2f}"
        )
    return lines

"""Model fitting shared by every data set: one failure classifier per mode, time-to-failure
regressors, an anomaly model per model line, and the feature weights explanations use.

The inputs are plain arrays (rows x features) and per-mode boolean labels, so the same code
fits the simulated fleet's windows and the AI4I 2020 rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    IsolationForest,
)
from sklearn.isotonic import IsotonicRegression
from sklearn.model_selection import GroupKFold
from threadpoolctl import threadpool_limits

from diagnostics.learned.inputs import fill_missing

MAX_ITER = 200  # boosting rounds; early stopping usually ends sooner
LEARNING_RATE = 0.1
MAX_LEAF_NODES = 15
MIN_POSITIVES = 5  # a mode with fewer positive rows cannot be learned: it is skipped
ISOLATION_TREES = 200
IMPORTANCE_ROWS = 1000  # rows sampled to measure how much each feature moves a mode's output

Progress = Callable[[str], None]


def single_threaded(fn):
    """Run fn with one OpenMP thread: on a busy machine, scikit-learn's spinning threads made
    gradient boosting over ten times slower than a single thread."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(1):
            return fn(*args, **kwargs)

    return wrapper


def _classifier(seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=MAX_ITER,
        learning_rate=LEARNING_RATE,
        max_leaf_nodes=MAX_LEAF_NODES,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=15,
        l2_regularization=1.0,
        random_state=seed,
    )


@single_threaded
def fit_classifiers(
    X: np.ndarray,
    labels: dict[str, np.ndarray],
    *,
    seed: int = 0,
    sample_weight: np.ndarray | None = None,
    rows: dict[str, np.ndarray] | None = None,
    progress: Progress | None = None,
) -> dict[str, HistGradientBoostingClassifier]:
    """One binary classifier per mode (mode vs everything else), skipping unlearnable modes.

    rows, when given, limits each mode's fit to the rows (a boolean mask) it may judge.
    """
    models = {}
    for mode, y in labels.items():
        if progress:
            progress(f"classifier {mode}")
        use = rows[mode] if rows is not None and mode in rows else np.ones(len(y), dtype=bool)
        y = y[use]
        if int(y.sum()) < MIN_POSITIVES or int((~y).sum()) < MIN_POSITIVES:
            continue
        weight = sample_weight[use] if sample_weight is not None else None
        models[mode] = _classifier(seed).fit(X[use], y, sample_weight=weight)
    return models


@single_threaded
def predict_proba(models: dict, X: np.ndarray) -> dict[str, np.ndarray]:
    """The probability of each mode for each row."""
    return {mode: m.predict_proba(X)[:, 1] for mode, m in models.items()}


def fit_calibration(scores: np.ndarray, truth: np.ndarray) -> np.ndarray | None:
    """A mode's isotonic map from out-of-fold scores to fault frequency, as knots (2 x k).

    None when the scores cannot support one (no finite score of either class).
    """
    ok = np.isfinite(scores)
    if not (truth[ok].any() and (~truth[ok]).any()):
        return None
    iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    iso.fit(scores[ok], truth[ok].astype(float))
    return np.vstack([iso.X_thresholds_, iso.y_thresholds_])


@single_threaded
def out_of_fold_proba(
    X: np.ndarray,
    labels: dict[str, np.ndarray],
    groups: np.ndarray,
    *,
    folds: int = 3,
    seed: int = 0,
    sample_weight: np.ndarray | None = None,
    rows: dict[str, np.ndarray] | None = None,
    progress: Progress | None = None,
) -> dict[str, np.ndarray]:
    """Each row's probabilities from models that never saw its group (its car), for thresholds."""
    out = {mode: np.full(len(X), np.nan) for mode in labels}
    for k, (fit_idx, val_idx) in enumerate(GroupKFold(n_splits=folds).split(X, groups=groups)):
        fold_labels = {mode: y[fit_idx] for mode, y in labels.items()}
        weights = sample_weight[fit_idx] if sample_weight is not None else None
        step = (lambda what, k=k: progress(f"fold {k + 1}/{folds}: {what}")) if progress else None
        fold_rows = {m: r[fit_idx] for m, r in rows.items()} if rows is not None else None
        models = fit_classifiers(
            X[fit_idx], fold_labels, seed=seed, sample_weight=weights, rows=fold_rows,
            progress=step,
        )  # fmt: skip
        for mode, p in predict_proba(models, X[val_idx]).items():
            out[mode][val_idx] = p
    return out


@single_threaded
def fit_time_to_failure(
    X: np.ndarray,
    labels: dict[str, np.ndarray],
    ttf_days: np.ndarray,
    *,
    seed: int = 0,
    judged: dict[str, np.ndarray] | None = None,
) -> dict[str, HistGradientBoostingRegressor]:
    """Per mode, a regressor of days to failure, fitted on that mode's (judged) positive rows."""
    models = {}
    for mode, y in labels.items():
        rows = y & np.isfinite(ttf_days)
        if judged is not None and mode in judged:
            rows &= judged[mode]
        if rows.sum() < MIN_POSITIVES:
            continue
        models[mode] = HistGradientBoostingRegressor(
            max_iter=MAX_ITER, learning_rate=LEARNING_RATE, random_state=seed
        ).fit(X[rows], ttf_days[rows])
    return models


@single_threaded
def fit_anomaly(X: np.ndarray, lines: np.ndarray, *, seed: int = 0) -> dict[str, IsolationForest]:
    """An IsolationForest of normal behaviour per model line, fitted on healthy rows only."""
    models = {}
    for line in np.unique(lines):
        rows = X[lines == line]
        # IsolationForest cannot split on NaN: unknown features take the line's median.
        models[str(line)] = IsolationForest(n_estimators=ISOLATION_TREES, random_state=seed).fit(
            fill_missing(rows, np.nanmedian(rows, axis=0))
        )
    return models


@single_threaded
def anomaly_scores(model: IsolationForest, X: np.ndarray, medians: np.ndarray) -> np.ndarray:
    """Higher is more unusual (the negated IsolationForest score)."""
    return -model.score_samples(fill_missing(X, medians))


@single_threaded
def feature_weights(
    models: dict[str, HistGradientBoostingClassifier], X: np.ndarray, *, seed: int = 0
) -> dict[str, np.ndarray]:
    """Per mode, how much shuffling each feature moves the predicted probability (sums to 1)."""
    rng = np.random.default_rng(seed)
    sample = X[rng.choice(len(X), size=min(IMPORTANCE_ROWS, len(X)), replace=False)]
    weights = {}
    for mode, model in models.items():
        base = model.predict_proba(sample)[:, 1]
        moved = np.zeros(X.shape[1])
        for j in range(X.shape[1]):
            shuffled = sample.copy()
            shuffled[:, j] = rng.permutation(shuffled[:, j])
            moved[j] = np.mean(np.abs(model.predict_proba(shuffled)[:, 1] - base))
        weights[mode] = moved / moved.sum() if moved.sum() > 0 else moved
    return weights

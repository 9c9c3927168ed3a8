"""The scorer's one-row gradient-boosting predictions equal scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from diagnostics.learned.boosting import RowPredictor


def _data(rng, n=2000, d=8):
    X = rng.normal(size=(n, d))
    X[rng.random(X.shape) < 0.15] = np.nan  # missing values train their own direction
    signal = np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 1]) ** 2 - np.isnan(X[:, 2])
    return X, signal


@pytest.mark.parametrize(
    "model",
    [
        HistGradientBoostingClassifier(max_iter=80, max_leaf_nodes=15, random_state=1),
        HistGradientBoostingRegressor(max_iter=80, random_state=1),
        HistGradientBoostingRegressor(max_iter=40, loss="poisson", random_state=1),
    ],
    ids=["classifier", "regressor", "poisson"],
)
def test_one_row_predicts_as_scikit_learn_predicts_it(model):
    rng = np.random.default_rng(11)
    X, signal = _data(rng)
    if isinstance(model, HistGradientBoostingClassifier):
        model.fit(X, signal + rng.normal(size=len(X)) > 0.5)
        expected = model.predict_proba(X[:300])[:, 1]
    else:
        model.fit(X, np.exp(signal / 3) + rng.random(len(X)))
        expected = model.predict(X[:300])
    predictor = RowPredictor(model)
    got = np.array([predictor.predict(row) for row in X[:300]])
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert np.isnan(X[:300]).any(axis=1).sum() > 100, "rows with missing values were tried"


def test_a_model_it_cannot_walk_is_refused():
    rng = np.random.default_rng(3)
    X, signal = _data(rng, n=600)
    three = HistGradientBoostingClassifier(max_iter=5).fit(X, np.digitize(signal, [-0.5, 0.5]))
    with pytest.raises(ValueError, match="one tree per iteration"):
        RowPredictor(three)

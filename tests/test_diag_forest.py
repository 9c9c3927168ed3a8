"""The scorer's one-row isolation-forest score equals scikit-learn's."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from diagnostics.learned.forest import row_score


@pytest.mark.parametrize("max_features", [1.0, 0.5])
def test_one_row_scores_as_scikit_learn_scores_it(max_features):
    rng = np.random.default_rng(7)
    healthy = rng.normal(size=(1500, 9))
    forest = IsolationForest(n_estimators=60, max_features=max_features, random_state=3)
    forest.fit(healthy)
    rows = np.vstack([rng.normal(size=(40, 9)), rng.normal(size=(40, 9)) * 4 + 2])
    expected = -forest.score_samples(rows)
    got = np.array([row_score(forest, row) for row in rows])
    assert np.allclose(got, expected, rtol=0, atol=1e-12)
    assert got[40:].mean() > got[:40].mean(), "the far rows are the unusual ones"

"""One row's prediction of a histogram gradient-boosting model, all its trees at once.

scikit-learn predicts a row through one compiled predictor per tree, called from Python:
about 2 ms for a 200-tree model, and the scoring service asks six classifiers and their
time-to-failure regressors about every car each hour. This lays the trees' nodes side by
side and walks them together with numpy, a level at a time, by the rule scikit-learn's
predictor follows (a missing value goes where the split sent missing values in training,
else `value <= threshold` goes left). A test holds it equal to scikit-learn's own predictions
for the pinned version.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

Boosted = HistGradientBoostingClassifier | HistGradientBoostingRegressor


class RowPredictor:
    """predict(row) of one binary classifier (its positive class's probability) or regressor."""

    def __init__(self, model: Boosted):
        if model.n_trees_per_iteration_ != 1 or model.is_categorical_ is not None:
            raise ValueError("only models with one tree per iteration and no categories")
        trees = [predictor.nodes for iteration in model._predictors for predictor in iteration]
        sizes = np.array([len(tree) for tree in trees])
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        nodes = np.concatenate(trees)
        offset = np.repeat(starts, sizes)
        self.roots = starts
        self.feature = nodes["feature_idx"].astype(np.intp)
        self.threshold = nodes["num_threshold"]
        self.missing_left = nodes["missing_go_to_left"].astype(bool)
        self.left = nodes["left"].astype(np.intp) + offset
        self.right = nodes["right"].astype(np.intp) + offset
        self.is_leaf = nodes["is_leaf"].astype(bool)
        self.value = nodes["value"]
        self.levels = int(nodes["depth"].max())
        self.baseline = float(model._baseline_prediction.ravel()[0])
        self.inverse_link = model._loss.link.inverse

    def raw(self, row: np.ndarray) -> float:
        """The sum of the leaves the row reaches, plus the baseline (before the link)."""
        node = self.roots
        for _ in range(self.levels):
            leaf = self.is_leaf[node]
            if leaf.all():
                break
            x = row[self.feature[node]]
            left = np.where(np.isnan(x), self.missing_left[node], x <= self.threshold[node])
            node = np.where(leaf, node, np.where(left, self.left[node], self.right[node]))
        return self.baseline + float(self.value[node].sum())

    def predict(self, row: np.ndarray) -> float:
        """A classifier's probability of the positive class, or a regressor's prediction."""
        return float(self.inverse_link(np.array([self.raw(np.asarray(row, dtype=float))]))[0])

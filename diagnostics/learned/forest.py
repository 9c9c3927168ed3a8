"""One row's isolation-forest score, tree by tree in compiled code.

scikit-learn scores a forest through joblib, one task per tree, which costs about 20 ms for a
single row: more than every failure classifier together. The scoring service scores one row
per car and hour, so this walks each tree with its compiled apply() and adds the path lengths
scikit-learn precomputed when it fitted the forest. It gives the same score as
`-forest.score_samples(row)` (a test holds the two equal for the pinned scikit-learn).
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.ensemble._iforest import _average_path_length


def row_score(forest: IsolationForest, row: np.ndarray) -> float:
    """The anomaly score (higher is more unusual) of one row without missing values."""
    x = np.ascontiguousarray(np.asarray(row, dtype=np.float32).reshape(1, -1))
    every_feature = forest._max_features == x.shape[1]
    depth = 0.0
    for tree, features, lengths, average in zip(
        forest.estimators_,
        forest.estimators_features_,
        forest._decision_path_lengths,
        forest._average_path_length_per_tree,
        strict=True,
    ):
        leaf = tree.tree_.apply(x if every_feature else np.ascontiguousarray(x[:, features]))[0]
        depth += lengths[leaf] + average[leaf] - 1.0
    denominator = len(forest.estimators_) * float(_average_path_length([forest._max_samples])[0])
    return float(2 ** (-depth / denominator)) if denominator else 1.0

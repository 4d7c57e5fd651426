"""Anomaly scores of a fitted IsolationForest, the same numbers as its ``score_samples``
(bit for bit, a test holds them equal) without its cost per call.

``score_samples`` dispatches every tree through joblib and validates its input again on each
call: with 200 trees that is about 40 ms before the first row is scored, more than the trees
themselves take for a few thousand rows - it made live scoring of a small batch cost as much as
scoring a large one. Here each tree's path length per leaf is worked out once, when the model is
fitted or loaded, and a call is one ``Tree.apply`` (compiled code, no Python per row) and one
gather per tree. numpy and scikit-learn are imported by the code that has a forest already.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from sklearn.ensemble import IsolationForest

EULER_GAMMA = 0.5772156649015329


def average_path_length(n_samples: np.ndarray) -> np.ndarray:
    """Average path length of an unsuccessful search in a binary search tree of ``n`` samples
    (the forest's correction for a leaf that still holds several samples); the formula of
    scikit-learn's IsolationForest, term for term, so the sums come out the same."""
    import numpy as np

    n = np.asarray(n_samples, dtype=float)
    lengths = np.zeros(n.shape)
    many = n > 2
    lengths[n == 2] = 1.0
    lengths[many] = 2.0 * (np.log(n[many] - 1.0) + EULER_GAMMA) - 2.0 * (n[many] - 1.0) / n[many]
    return lengths


@dataclass(frozen=True, slots=True, eq=False)
class ForestPaths:
    """Per tree: the tree, the features it was fitted on (None: all, in order) and the path
    length its leaves stand for (depth + correction - 1, as ``score_samples`` adds them up)."""

    forest: IsolationForest
    trees: tuple[tuple[Any, np.ndarray | None, np.ndarray], ...]
    #: trees x the average path length of a tree fitted on max_samples_ samples
    denominator: np.ndarray

    @classmethod
    def of(cls, forest: IsolationForest) -> ForestPaths:
        import numpy as np

        every = np.arange(forest.n_features_in_)
        trees = []
        for estimator, features in zip(forest.estimators_, forest.estimators_features_, strict=True):
            tree = estimator.tree_
            leaf_length = tree.compute_node_depths() + average_path_length(tree.n_node_samples) - 1.0
            subset = None if np.array_equal(features, every) else np.asarray(features)
            trees.append((tree, subset, leaf_length))
        denominator = len(trees) * average_path_length(np.array([forest.max_samples_]))
        return cls(forest, tuple(trees), denominator)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # pickled with its model as the forest alone (stored once): derived again when loaded
        return ForestPaths.of, (self.forest,)

    def scores(self, vectors: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
        """Anomaly scores in (0, 1], ``-forest.score_samples(vectors)``."""
        import numpy as np

        # the trees split on float32, as score_samples converts its input to
        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        if rows.ndim != 2 or rows.shape[1] != self.forest.n_features_in_:
            raise ValueError(f"expected rows of {self.forest.n_features_in_} features, got shape {rows.shape}")
        depths = np.zeros(rows.shape[0])
        for tree, subset, leaf_length in self.trees:
            leaves = tree.apply(rows if subset is None else np.ascontiguousarray(rows[:, subset]))
            depths += leaf_length[leaves]
        # a forest fitted on one sample has a denominator of 0: every score is 1 then
        ratio = np.divide(depths, self.denominator, out=np.ones_like(depths), where=self.denominator != 0)
        return np.asarray(2**-ratio)

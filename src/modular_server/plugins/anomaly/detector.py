"""IsolationForest training, scoring and persistence. scikit-learn, numpy and joblib are
imported by the functions that use them: a server that never trains, scores or loads a model
(and every ``modular-server`` command) does not pay for them.

Scores are the forest's anomaly scores in (0, 1] (``-score_samples``): about 0.5 is
ordinary, towards 1 is isolated quickly, i.e. anomalous. A model flags scores above its
threshold, which the ``contamination`` setting places at that share of the training data.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modular_server.plugins.anomaly.forest import ForestPaths

if TYPE_CHECKING:
    from sklearn.ensemble import IsolationForest

SEED = 4711


@dataclass(slots=True)
class Trained:
    key: str
    kind: str
    forest: IsolationForest
    threshold: float
    samples: int
    contamination: str
    stats: dict[str, Any]
    trained_at: datetime
    #: the forest's leaves as path lengths, for scoring without score_samples' cost per call
    paths: ForestPaths

    def scores(self, vectors: Sequence[Sequence[float]]) -> list[float]:
        return [float(s) for s in self.paths.scores(vectors)]


def fit(
    key: str,
    kind: str,
    vectors: Sequence[Sequence[float]],
    *,
    contamination: float | str,
    n_estimators: int,
    max_samples: int,
    stats: dict[str, Any],
    trained_at: datetime,
) -> Trained:
    import numpy as np
    from sklearn.ensemble import IsolationForest

    rows = np.asarray(vectors, dtype=float)
    # fitted with "auto", the forest skips scoring its training data through score_samples; the
    # threshold at the contamination share is then taken from the same scores, computed faster
    # max_samples below scikit-learn's 256 against masking; at most the rows there are
    # (scikit-learn would warn and take them all)
    forest = IsolationForest(
        n_estimators=n_estimators,
        max_samples=min(max_samples, len(rows)),
        contamination="auto",
        random_state=SEED,
        n_jobs=1,
    )
    forest.fit(rows)
    paths = ForestPaths.of(forest)
    if contamination != "auto":
        # what IsolationForest.fit does with a share: the same percentile of the same scores
        forest.set_params(contamination=contamination)
        forest.offset_ = float(np.percentile(-paths.scores(rows), 100.0 * float(contamination)))
    return Trained(
        key=key,
        kind=kind,
        forest=forest,
        threshold=float(-forest.offset_),
        samples=len(vectors),
        contamination=str(contamination),
        stats=stats,
        trained_at=trained_at,
        paths=paths,
    )


def file_name(key: str, trained_at: datetime) -> str:
    """Readable, unique per key (the digest tells apart keys that differ only in odd characters)
    and new with every training, so a worker reloads exactly when the file name changed."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", key)[:100]
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return f"{readable}-{digest}-{trained_at.strftime('%Y%m%dT%H%M%S%f')}.joblib"


def save(model: Trained, directory: Path) -> str:
    import joblib

    directory.mkdir(parents=True, exist_ok=True)
    name = file_name(model.key, model.trained_at)
    temporary = directory / (name + ".tmp")
    joblib.dump(model, temporary)
    temporary.replace(directory / name)  # atomic: a worker loading it never sees half a file
    return name


def load(directory: Path, name: str) -> Trained:
    import joblib

    model: Trained = joblib.load(directory / name)
    if getattr(model, "paths", None) is None:  # saved before models kept their paths
        model.paths = ForestPaths.of(model.forest)
    return model

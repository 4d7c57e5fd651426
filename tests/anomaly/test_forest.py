"""The plugin's own scoring of a fitted IsolationForest gives scikit-learn's numbers bit for bit:
the scores of ``score_samples``, the threshold ``fit`` places at the contamination share, after a
save and load too (also of a model file written before models kept their path lengths)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import IsolationForest

from modular_server.plugins.anomaly import detector
from modular_server.plugins.anomaly.detector import SEED
from modular_server.plugins.anomaly.forest import ForestPaths

TRAINED_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def ledger_like(rows: int, seed: int) -> np.ndarray:
    """Five features shaped like the movement features: mostly 0, some spread, a few far out."""
    rng = np.random.default_rng(seed)
    data = rng.normal(size=(rows, 5))
    data[:, 1] = np.abs(np.round(data[:, 1] * 2))  # hours: whole numbers
    data[:, 3] = np.maximum(0.0, data[:, 3])  # shares: 0 for most
    data[rng.random(rows) < 0.01] *= 8
    return data


@pytest.mark.parametrize("contamination", [0.01, 0.03, "auto"])
def test_fit_gives_the_forest_and_threshold_of_isolation_forest(contamination: float | str) -> None:
    training = ledger_like(3000, seed=1)
    model = detector.fit(
        "kategorie:x",
        "stock",
        training.tolist(),
        contamination=contamination,
        n_estimators=60,
        max_samples=128,
        stats={},
        trained_at=TRAINED_AT,
    )
    reference = IsolationForest(
        n_estimators=60, max_samples=128, contamination=contamination, random_state=SEED, n_jobs=1
    )
    reference.fit(training)
    assert model.threshold == float(-reference.offset_)
    assert model.forest.offset_ == reference.offset_ and model.forest.contamination == contamination

    judged = ledger_like(2000, seed=2) * 1.5
    expected = -reference.score_samples(judged)
    assert np.array_equal(np.array(model.scores(judged.tolist())), expected)
    assert np.array_equal(np.array(model.scores(judged[:1].tolist())), expected[:1])  # one movement, live


def test_forests_fitted_on_a_subset_of_features_score_alike() -> None:
    training = ledger_like(1500, seed=3)
    forest = IsolationForest(n_estimators=40, max_features=3, random_state=SEED).fit(training)
    judged = ledger_like(500, seed=4)
    assert np.array_equal(ForestPaths.of(forest).scores(judged), -forest.score_samples(judged))


def test_rows_of_the_wrong_width_are_refused() -> None:
    forest = IsolationForest(n_estimators=10, random_state=SEED).fit(ledger_like(300, seed=5))
    with pytest.raises(ValueError, match="5 features"):
        ForestPaths.of(forest).scores([[1.0, 2.0]])


def test_saved_models_score_alike_when_loaded(tmp_path: Path) -> None:
    training = ledger_like(2000, seed=6)
    model = detector.fit(
        "artikel:7",
        "stock",
        training.tolist(),
        contamination=0.02,
        n_estimators=40,
        max_samples=128,
        stats={},
        trained_at=TRAINED_AT,
    )
    judged = ledger_like(500, seed=7).tolist()
    loaded = detector.load(tmp_path, detector.save(model, tmp_path))
    assert loaded.scores(judged) == model.scores(judged)
    assert loaded.threshold == model.threshold

    # a file written before models kept their path lengths: derived from the forest when loaded
    del model.paths
    older = detector.load(tmp_path, detector.save(model, tmp_path / "older"))
    assert older.scores(judged) == loaded.scores(judged)

"""Judging movements with the trained models: one scoring call per model for a whole
chunk of movements. Pure computation, run in a worker thread by the runtime."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

import numpy as np

from modular_server.plugins.anomaly import features, featurize
from modular_server.plugins.anomaly.features import History, Movement
from modular_server.plugins.anomaly.featurize import Tail
from modular_server.plugins.anomaly.service import Finding

if TYPE_CHECKING:
    from modular_server.plugins.anomaly.detector import Trained


@dataclass(frozen=True, slots=True, eq=False)
class Vectored:
    """Movements with a feature vector, with the kategorie of each one's artikel: the vectors stay
    one array from their computation to the scoring calls."""

    movements: list[Movement]
    kategorien: list[str | None]
    #: one row per movement
    vectors: np.ndarray

    def __iter__(self) -> Iterator[tuple[Movement, str | None, list[float]]]:
        return zip(self.movements, self.kategorien, self.vectors.tolist(), strict=True)

    def __len__(self) -> int:
        return len(self.movements)


@dataclass(frozen=True, slots=True)
class Verdict:
    #: movements that had a model to judge them
    scored: int
    findings: list[Finding]


def model_for(models: Mapping[str, Trained], artikel_id: int, kategorie: str | None) -> Trained | None:
    """The artikel's own model, else its kategorie's."""
    return models.get(f"artikel:{artikel_id}") or models.get(f"kategorie:{kategorie or ''}")


def _groups(models: Mapping[str, Trained], items: Vectored) -> dict[str, list[int]]:
    """Rows of ``items`` per key of the model that judges them (looked up once per artikel)."""
    chosen: dict[int, str | None] = {}
    groups: dict[str, list[int]] = {}
    for row, (movement, kategorie) in enumerate(zip(items.movements, items.kategorien, strict=True)):
        artikel_id = movement.artikel_id
        if artikel_id not in chosen:
            model = model_for(models, artikel_id, kategorie)
            chosen[artikel_id] = model.key if model is not None else None
        key = chosen[artikel_id]
        if key is not None:
            groups.setdefault(key, []).append(row)
    return groups


def judge(models: Mapping[str, Trained], items: Vectored, zone: tzinfo) -> Verdict:
    """Score ``items`` (one call per model) and return the ones above their model's threshold."""
    scored, findings = 0, []
    for key, rows in _groups(models, items).items():
        model = models[key]
        vectors = items.vectors[rows]
        scores = model.paths.scores(vectors)
        scored += len(rows)
        for at in np.flatnonzero(scores > model.threshold).tolist():
            movement, vector = items.movements[rows[at]], vectors[at].tolist()
            findings.append(
                Finding(
                    kind="stock",
                    score=float(scores[at]),
                    threshold=model.threshold,
                    model_key=model.key,
                    features=features.as_dict(vector),
                    reason=features.explain(vector, model.stats, movement, zone),
                    occurred_at=movement.created_at,
                    artikel_id=movement.artikel_id,
                    bewegung_id=movement.id,
                )
            )
    findings.sort(key=lambda f: f.bewegung_id or 0)
    return Verdict(scored, findings)


def _vectored(movements: Sequence[Movement], chunk: featurize.Chunk, kategorien: Mapping[int, str | None]) -> Vectored:
    judged = [movements[row] for row in np.flatnonzero(chunk.judged).tolist()]
    return Vectored(judged, [kategorien.get(m.artikel_id) for m in judged], chunk.vectors[chunk.judged])


def vectors_of_new(
    tails: OrderedDict[int, Tail],
    histories: Mapping[int, History],
    batch: Sequence[tuple[Movement, str | None]],
    zone: tzinfo,
    keep: int,
) -> Vectored:
    """Feature vectors of new movements. ``tails`` holds each artikel's tail up to the batch
    (least recently used first); a missing one is taken from its ``histories``. Afterwards it
    holds at most ``keep`` artikel."""
    ordered = sorted(batch, key=lambda scoped: (scoped[0].artikel_id, scoped[0].id))
    booked = sorted({movement.artikel_id for movement, _ in ordered})
    before: dict[int, Tail] = {}
    for artikel_id in booked:
        tail = tails.get(artikel_id)
        if tail is None and artikel_id in histories:
            tail = featurize.tail_of(histories[artikel_id], zone)
        if tail is not None:
            before[artikel_id] = tail
    movements = [movement for movement, _ in ordered]
    chunk = featurize.features_of(movements, zone, tails=before, keep=booked)
    for artikel_id in booked:
        tails[artikel_id] = chunk.tails[artikel_id]
        tails.move_to_end(artikel_id)
    while len(tails) > keep:
        tails.popitem(last=False)
    return _vectored(movements, chunk, {movement.artikel_id: kategorie for movement, kategorie in ordered})


@dataclass(slots=True)
class Stream:
    """Vectors of movements read in (artikel_id, id) order, chunk after chunk: the tail of the
    artikel a chunk ends in is carried into the next chunk."""

    zone: tzinfo
    artikel_id: int | None = None
    tail: Tail | None = None

    def vectors(self, chunk: Sequence[Movement], kategorien: Mapping[int, str | None]) -> Vectored:
        if not chunk:
            return Vectored([], [], np.zeros((0, len(features.FEATURES))))
        carried = {self.artikel_id: self.tail} if self.artikel_id is not None and self.tail is not None else {}
        last = chunk[-1].artikel_id
        computed = featurize.features_of(chunk, self.zone, tails=carried, keep=(last,))
        self.artikel_id, self.tail = last, computed.tails[last]
        return _vectored(chunk, computed, kategorien)

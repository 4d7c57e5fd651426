"""Judging movements with the trained models: one scoring call per model for a whole
chunk of movements. Pure computation, run in a worker thread by the runtime."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from modular_server.plugins.anomaly import features
from modular_server.plugins.anomaly.features import ArtikelActivity, Movement
from modular_server.plugins.anomaly.service import Finding

if TYPE_CHECKING:
    from modular_server.plugins.anomaly.detector import Trained

#: a movement with the kategorie of its artikel and its feature vector
Vectored = tuple[Movement, str | None, list[float]]


@dataclass(frozen=True, slots=True)
class Verdict:
    #: movements that had a model to judge them
    scored: int
    findings: list[Finding]


def model_for(models: Mapping[str, Trained], artikel_id: int, kategorie: str | None) -> Trained | None:
    """The artikel's own model, else its kategorie's."""
    return models.get(f"artikel:{artikel_id}") or models.get(f"kategorie:{kategorie or ''}")


def judge(models: Mapping[str, Trained], items: Sequence[Vectored], zone: tzinfo) -> Verdict:
    """Score ``items`` (one call per model) and return the ones above their model's threshold."""
    groups: dict[str, list[Vectored]] = {}
    for item in items:
        model = model_for(models, item[0].artikel_id, item[1])
        if model is not None:
            groups.setdefault(model.key, []).append(item)
    scored, findings = 0, []
    for key, judged in groups.items():
        model = models[key]
        scores = model.scores([vector for _, _, vector in judged])
        scored += len(judged)
        for (movement, _, vector), score in zip(judged, scores, strict=True):
            if score > model.threshold:
                findings.append(
                    Finding(
                        kind="stock",
                        score=score,
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


def vectors_of_new(
    activities: OrderedDict[int, ArtikelActivity],
    histories: Mapping[int, Sequence[Movement]],
    batch: Sequence[tuple[Movement, str | None]],
    zone: tzinfo,
    keep: int,
) -> list[Vectored]:
    """Feature vectors of new movements. ``activities`` holds each artikel's activity up to the
    batch (least recently used first); one missing is warmed up on its ``histories`` first.
    Afterwards it holds at most ``keep`` artikel."""
    found: list[Vectored] = []
    for movement, kategorie in sorted(batch, key=lambda scoped: (scoped[0].artikel_id, scoped[0].id)):
        activity = activities.get(movement.artikel_id)
        if activity is None:
            activity = activities[movement.artikel_id] = ArtikelActivity()
            for earlier in histories.get(movement.artikel_id, ()):
                activity.step(earlier, zone, judge=False)
        else:
            activities.move_to_end(movement.artikel_id)
        vector = activity.step(movement, zone)
        if vector is not None:
            found.append((movement, kategorie, vector))
    while len(activities) > keep:
        activities.popitem(last=False)
    return found


@dataclass(slots=True)
class Stream:
    """Vectors of movements read in (artikel_id, id) order, chunk after chunk: the activity of
    the artikel a chunk ends in is carried into the next chunk."""

    zone: tzinfo
    artikel_id: int | None = None
    activity: ArtikelActivity | None = None

    def vectors(self, chunk: Sequence[Movement], kategorien: Mapping[int, str | None]) -> list[Vectored]:
        found: list[Vectored] = []
        activity = self.activity
        for movement in chunk:
            if movement.artikel_id != self.artikel_id or activity is None:
                self.artikel_id, activity = movement.artikel_id, ArtikelActivity()
            vector = activity.step(movement, self.zone)
            if vector is not None:
                found.append((movement, kategorien.get(movement.artikel_id), vector))
        self.activity = activity
        return found

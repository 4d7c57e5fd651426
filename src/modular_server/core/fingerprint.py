"""Normalized statement fingerprints: literals and parameters stripped, IN/VALUES lists folded.

Two executions of the same query shape share a fingerprint, whatever their values, which is
what N+1 detection and slow-query aggregation group by. Nothing of a value survives.
"""

from __future__ import annotations

import re

from cachetools import LRUCache

_STRING = re.compile(r"'(?:[^']|'')*'")
_NUMBER = re.compile(r"(?<![\w$])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b")
_PLACEHOLDER = re.compile(r"\$\d+|%\(\w+\)s|%s|(?<!:):\w+|\?")
_LIST = re.compile(r"\(\s*\?(?:\s*,\s*\?)+\s*\)")
_VALUES = re.compile(r"(VALUES\s*\([?+,\s]*\))(?:\s*,\s*\([?+,\s]*\))+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def normalize(statement: str) -> str:
    text = _STRING.sub("?", statement)
    text = _PLACEHOLDER.sub("?", text)
    text = _NUMBER.sub("?", text)
    text = _SPACE.sub(" ", text).strip()
    text = _LIST.sub("(?+)", text)
    return _VALUES.sub(r"\1, ...", text)


class Fingerprinter:
    """Memoizes :func:`normalize` per raw statement (bounded); returns (fingerprint, is_select)."""

    def __init__(self, size: int = 4096) -> None:
        self._cache: LRUCache[str, tuple[str, bool]] = LRUCache(maxsize=size)

    def __call__(self, statement: str) -> tuple[str, bool]:
        found = self._cache.get(statement)
        if found is None:
            fingerprint = normalize(statement)
            head = fingerprint[:6].upper()
            found = (fingerprint, head == "SELECT" or head.startswith("WITH"))
            self._cache[statement] = found
        return found

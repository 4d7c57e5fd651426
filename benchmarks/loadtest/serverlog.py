"""What the server logged at WARNING and above during a load test, grouped by message: a
process that complains under load (late cache confirmations, slow statements, retries) shows
up here even when every answer was right. Pure functions over the log's text."""

from __future__ import annotations

import re
from collections import Counter

#: the text format of the server's log lines: "<date> <time> LEVEL logger: message"
_LINE = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) (\S+): (.*)$")
#: numbers and quoted values vary between lines of one kind; the rest (which operation failed,
#: with which error) is what tells kinds apart
_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|\d+(?:\.\d+)?")
KINDS_REPORTED = 10
MESSAGE_CHARS = 100


def warnings_by_kind(text: str) -> dict[str, int]:
    """``"LEVEL logger: message"`` (its varying parts replaced by ``#``) -> how many lines, most first."""
    kinds: Counter[str] = Counter()
    for line in text.splitlines():
        found = _LINE.match(line)
        if found is None:
            continue
        level, logger, message = found.groups()
        kinds[f"{level} {logger}: {_VARYING.sub('#', message)[:MESSAGE_CHARS]}"] += 1
    return dict(kinds.most_common(KINDS_REPORTED))

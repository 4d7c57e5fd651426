"""The command-line start-up benchmark: every command really runs (one round) and the report
says met or not against each target."""

from __future__ import annotations

from pathlib import Path

from benchmarks.startup import report
from benchmarks.startup.run import COMMANDS, FLOOR, measure


def test_one_round_times_every_command_against_the_interpreter(tmp_path: Path) -> None:
    result = measure(rounds=1)
    rows = {row["command"]: row for row in result["commands"]}
    assert list(rows) == [command.name for command in COMMANDS]
    assert rows[FLOOR.name]["over_interpreter"] == 1.0 and rows[FLOOR.name]["met"] is None
    for command in COMMANDS[1:]:
        row = rows[command.name]
        assert row["median_s"] > rows[FLOOR.name]["median_s"] > 0
        assert row["met"] is (row["median_s"] <= command.target)
    paths = report.write(result, tmp_path)
    assert [p.name for p in paths] == ["cli-latest.json", "cli-latest.md"]
    text = (tmp_path / "cli-latest.md").read_text()
    assert "| `modular-server --help` |" in text and ("| yes |" in text or "| **no** |" in text)

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


def test_a_baseline_runs_every_command_from_its_own_source_in_the_same_rounds(tmp_path: Path) -> None:
    # the working tree's own source as the baseline: what is tested is that each command also
    # runs from the given folder and is reported beside the current one
    source = Path(__file__).resolve().parents[2] / "src"
    result = measure(rounds=1, baseline=source)
    assert result["baseline"]["source"] == str(source)
    names = [row["command"] for row in result["baseline"]["commands"]]
    assert names == [command.name for command in COMMANDS if command is not FLOOR]
    text = report.markdown(result)
    assert f"from the baseline `{source}`" in text
    assert "| `modular-server db current` |" in text.split("| command (baseline) |")[1]

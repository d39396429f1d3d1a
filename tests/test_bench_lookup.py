"""`soko-hub bench lookup` in a short mode: it runs, appends its table, and the table adds up.

No latency is asserted (a test on a shared machine cannot time anything fairly): the target is
reported by the benchmark, not checked here.
"""

from __future__ import annotations

import re

from click.testing import CliRunner

from hub.cli import main


def _cells(text: str, measure: str) -> list[str]:
    row = next(line for line in text.splitlines() if line.startswith(f"| {measure} |"))
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_bench_lookup_measures_its_three_phases_against_raw_sqlite_and_appends_its_table(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    result = CliRunner().invoke(main, ["bench", "lookup", "--products", "2000", "--seconds", "1", "--rounds", "2",
                                       "--rate", "40", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "## Barcode lookup, 2000 products" in text and "Machine:" in text and "commit" in text
    phases = ("no write load", "commits slowed to 10 ms", "writer committing nonstop")
    for phase in phases:
        for name in ("p50", "p99"):
            measure, hub, reference, ratio, target = _cells(text, f"lookup {name}, {phase}")
            hub_ms, ref_ms = float(hub.split()[0]), float(reference.split()[0])
            assert hub_ms > 0 and ref_ms > 0
            assert abs(float(ratio) - hub_ms / ref_ms) <= 0.05 * hub_ms / ref_ms + 0.1
    # The target is for lookups while commits are slow (DESIGN.md section 9), and only there.
    assert [_cells(text, f"lookup p99, {phase}")[4] for phase in phases] == ["-", "<= 5 ms", "-"]
    slow = int(_cells(text, "writer commits, commits slowed to 10 ms")[1].removesuffix("/s"))
    nonstop = int(_cells(text, "writer commits, writer committing nonstop")[1].removesuffix("/s"))
    # Each slowed commit holds the lock 10 ms, so at most 100 a second; the nonstop writer is faster.
    assert 0 < slow <= 100 < nonstop
    answered = _cells(text, "lookups answered (errors)")[1]
    assert re.fullmatch(r"(\d+) \(0\)", answered) and int(answered.split()[0]) == 2 * 3 * 40
    # each phase ran twice, the phases taking turns; the pooled p99 lies within its rounds' range
    for phase in phases:
        rounds = [float(x) for x in _cells(text, f"lookup p99 of each round, {phase}")[1].removesuffix(" ms").split(" / ")]
        pooled = float(_cells(text, f"lookup p99, {phase}")[1].split()[0])
        assert len(rounds) == 2 and min(rounds) - 0.01 <= pooled <= max(rounds) + 0.01

"""`soko-hub bench all`: every bench in a quick mode and one table in the shape of DESIGN.md
section 9. The run here is at each bench's smallest (--tiny); no figure is asserted (the machine is
shared), only that each bench ran, its oracles held and the table has its shape."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from hub.bench import table
from hub.bench.pgcluster import find_bin_dir
from hub.cli import main

ROW_STARTS = ("sale commit through the API", "sustained sale rate, 30-till burst",
              "sustained sale rate, 30-till burst, every fsync +8 ms", "barcode lookup p99",
              "catalogue full sync", "delta sync", "cold start", "RSS after a soak", "RSS growth",
              "receipt path", "mDNS", "kill -9 during load: acknowledged", "kill -9 during load: integrity",
              "slowest report over", "store day")


@pytest.mark.faults
@pytest.mark.timeout(1200)
def test_bench_all_runs_every_bench_and_prints_one_design_table(tmp_path, monkeypatch):
    if find_bin_dir() is None:
        pytest.skip("PostgreSQL binaries are missing (apt-get install postgresql; tests/system-packages.txt)")
    seen: list[table.Result] = []
    real = table.measure

    def spy(*args, **kw):
        seen.append(real(*args, **kw))
        return seen[-1]

    monkeypatch.setattr(table, "measure", spy)
    out = tmp_path / "BENCHMARKS.md"
    ran = CliRunner().invoke(main, ["bench", "all", "--tiny", "--output", str(out)])
    [result] = seen
    assert not result.failed, result.failed
    assert result.checks_ok  # the crash loop's and the store day's oracles
    assert ran.exit_code == 0, ran.output
    assert set(result.seconds) == set(table.BENCHES)
    text = out.read_text()
    assert "## All targets (DESIGN.md section 9), quick modes" in text and "Machine:" in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == table.HEADER and rows[1] == "| --- | --- | --- | --- | --- | --- |"
    body = rows[2:]
    assert len(body) == len(result.targets) == len(ROW_STARTS)
    for line, start in zip(body, ROW_STARTS):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert len(cells) == 6 and cells[0].startswith(start), line
        assert cells[5] == "met" or cells[5].startswith(("missed by ", "not judged: ")), line
    crash_rows = [t for t in result.targets if t.what.startswith("kill -9") or t.what.startswith("store day")]
    assert all(t.hub == 0 and t.verdict() == "met" for t in crash_rows)


def test_a_target_says_met_or_missed_by_how_much():
    below = table.Target("p99", "<= 10 ms", 12.5, "ms", 2.5, "raw", limit=10)
    assert below.ratio() == 5 and below.verdict() == "missed by 2.5 ms (25%)"
    assert table.Target("p99", "<= 10 ms", 9.0, "ms", 3.0, "raw", limit=10).verdict() == "met"
    share = table.Target("rate", ">= 60% of raw", 30.0, "/s", 100.0, "raw", limit=0.6, at_least=True, share=True)
    assert share.verdict() == "missed by 0.300 (50%)"
    assert table.Target("rate", ">= 60%", 70.0, "/s", 100.0, limit=0.6, at_least=True, share=True).verdict() == "met"
    assert table.Target("lost", "0", 2.0, "", limit=0).verdict() == "missed by 2"
    assert table.Target("x", "-", None, "", note="failed: OSError").verdict() == "failed: OSError"
    assert table.Target("growth", "<= 2", 30.0, "MiB/h", note="not judged: short").verdict() == "not judged: short"
    result = table.Result(targets=[below, share])
    lines = table.table(result).splitlines()
    assert lines[0] == table.HEADER and len(lines) == 4
    assert lines[2] == "| p99 | <= 10 ms | 12.5 ms | 2.5 ms (raw) | 5.00 | missed by 2.5 ms (25%) |"
    assert "0 of 2 targets met" in table.summary(result)

"""`soko-hub bench sync` in a short mode: it runs end to end, appends its table, and the till's
side refuses a cut-off snapshot. No time is asserted (a shared machine cannot time fairly)."""

from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner

from hub.bench import sync as bench_sync
from hub.cli import main


def _cells(text: str, measure: str) -> list[str]:
    row = next(line for line in text.splitlines() if line.startswith(f"| {measure}"))
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_bench_sync_measures_a_full_sync_and_a_delta_against_the_raw_decode(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    result = CliRunner().invoke(main, ["bench", "sync", "--products", "600", "--runs", "1", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "## Till sync down, 600 products" in text and "Machine:" in text
    full = _cells(text, "full sync, 600 products")
    assert full[4] == "<= 1000 ms" and float(full[3]) > 0
    delta = _cells(text, "delta, 500 changes")
    assert delta[4] == "<= 100 ms" and float(delta[3]) > 0
    assert "Delta: 500 price changes" in text


def _snapshot(rows: list[dict], count: int | None = None) -> bytes:
    lines = [{"epoch": "e", "cursor": "e:9", "hub_time": "t", "entities": ["unit"]}, *rows,
             {"end": True, "count": len(rows) if count is None else count}]
    return gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode())


def test_the_bench_till_loads_a_whole_snapshot_and_refuses_a_cut_or_miscounted_one(tmp_path):
    rows = [{"entity": "unit", "id": f"u{i}", "version": 1, "data": {"i": i}} for i in range(50)]
    path = tmp_path / "till.db"
    assert bench_sync.load_snapshot(path, [_snapshot(rows)]) == 50
    whole = _snapshot(rows)
    for bad in (whole[: len(whole) // 2], whole[:-4], _snapshot(rows, count=49)):
        with pytest.raises(ValueError):
            bench_sync.load_snapshot(path, [bad])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["till.db"]  # nothing half-loaded left beside it
    conn = bench_sync.till_db(path)  # the good load stands, and opens for deltas
    assert conn.execute("SELECT value FROM cursor").fetchone()[0] == "e:9"
    assert conn.execute("SELECT count(*) FROM rows").fetchone()[0] == 50
    assert conn.execute("SELECT data FROM rows WHERE id = 'u7'").fetchone()[0] == b'{"i": 7}'

"""`soko-hub bench sales` in a short mode: it runs through the real API, every sale it was
acknowledged is in the database once, and its table adds up. No latency is asserted here: a test
on a shared machine cannot time anything fairly; the targets are reported by the benchmark."""

from __future__ import annotations

import re

from click.testing import CliRunner

from hub.cli import main


def _cells(text: str, measure: str) -> list[str]:
    row = next(line for line in text.splitlines() if line.startswith(f"| {measure} |"))
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_bench_sales_commits_real_sales_and_reports_them_beside_raw_sqlite(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    result = CliRunner().invoke(main, ["bench", "sales", "--products", "300", "--tills", "3", "--seconds", "1",
                                       "--rate", "20", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "## Sale commits, 3 tills" in text and "found in the database afterwards, once" in text
    for label in ("at 20 sales/s", "3-till burst"):
        for name in ("p50", "p99", "p999"):
            _measure, hub, reference, ratio, _target = _cells(text, f"sale commit {name}, {label}")
            hub_ms, ref_ms = float(hub.split()[0]), float(reference.split()[0])
            assert hub_ms > 0 and ref_ms > 0
            assert abs(float(ratio) - hub_ms / ref_ms) <= 0.05 * hub_ms / ref_ms + 0.1
    assert _cells(text, "sale commit p99, at 20 sales/s")[4] == "<= 10 ms"
    for name in ("p50", "p99"):  # the floor: one till alone on an idle hub
        _m, hub, reference, ratio, _t = _cells(text, f"sale commit {name}, one till alone")
        assert float(hub.split()[0]) > 0 and float(reference.split()[0]) > 0
    _m, hub_rate, raw_rate, share, target = _cells(text, "sustained sales/s, 3-till burst")
    assert target == ">= 0.60" and int(hub_rate.removesuffix("/s")) > 0 and int(raw_rate.removesuffix("/s")) > 0
    acknowledged = _cells(text, "sales acknowledged (errors)")[1]
    assert re.fullmatch(r"(\d+) \(0\)", acknowledged) and int(acknowledged.split()[0]) >= 20 + 60
    # the bytes each sale sends to storage, beside raw sqlite3's: both processes wrote a WAL
    _m, hub_kib, raw_kib, ratio, _t = _cells(text, "disk written per sale")
    hub_n, raw_n = int(hub_kib.removesuffix(" KiB")), int(raw_kib.removesuffix(" KiB"))
    assert hub_n > 0 and raw_n > 0 and abs(float(ratio) - hub_n / raw_n) <= 0.05 * hub_n / raw_n + 0.1


def test_bench_sales_with_an_sd_cards_fsync_runs_hub_and_reference_under_the_shim(tmp_path):
    """--fsync-ms: both sides under the slow-fsync shim, proved before measuring. Each raw commit
    fsyncs at least once, so its median cannot be under the added pause if the shim is loaded."""
    out = tmp_path / "BENCHMARKS.md"
    result = CliRunner().invoke(main, ["bench", "sales", "--products", "300", "--tills", "3", "--seconds", "1",
                                       "--rate", "20", "--fsync-ms", "4", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "## Sale commits, 3 tills, fsync +4 ms (SD card emulated)" in text
    assert "every fsync 4 ms slower" in text
    _m, _hub, reference, _r, _t = _cells(text, "sale commit p50, at 20 sales/s")
    assert float(reference.split()[0]) >= 4.0
    _m, hub_p50, _ref, _r, _t = _cells(text, "sale commit p50, 3-till burst")
    assert float(hub_p50.split()[0]) >= 4.0  # an acknowledged sale waited for its fsync
    acknowledged = _cells(text, "sales acknowledged (errors)")[1]
    assert re.fullmatch(r"(\d+) \(0\)", acknowledged)


def test_the_slow_fsync_shim_refuses_to_vouch_for_a_pause_it_does_not_make(tmp_path):
    import pytest

    from hub.bench import slowsync
    from hub.bench.powercut import ShimError

    library = slowsync.build(tmp_path)
    slowsync.self_test(library, 2)  # loaded: the pause is there
    with pytest.raises(ShimError, match="not in effect"):
        slowsync.self_test(tmp_path / "absent.so", 2)  # the loader skips a missing library

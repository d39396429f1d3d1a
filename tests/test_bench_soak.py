"""`soko-hub bench soak` in a short mode: tills sell through the real API while the hub's RSS is
sampled, beside the bare app; its table names both. Nothing is timed or sized against a target
here (a shared machine cannot), only that the numbers exist and the sales went through."""

from __future__ import annotations

from click.testing import CliRunner

from hub.cli import main


def _cells(text: str, measure: str) -> list[str]:
    row = next(line for line in text.splitlines() if line.startswith(f"| {measure} |"))
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_bench_soak_reports_the_hubs_rss_beside_the_bare_apps(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    result = CliRunner().invoke(main, ["bench", "soak", "--seconds", "5", "--rate", "5", "--tills", "2",
                                       "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "## Memory after a 5 s soak" in text
    _m, hub, bare, ratio, target = _cells(text, "RSS after a 5 s soak")
    assert float(hub.split()[0]) > float(bare.split()[0]) > 0 and float(ratio) > 0 and "80 MiB" in target
    _m, hub, bare, _r, _t = _cells(text, "RSS at start-up (first health 200)")
    assert float(hub.split()[0]) > 0 and float(bare.split()[0]) > 0
    _m, answered, bare_requests, _r, _t = _cells(text, "requests answered (errors)")
    assert answered.endswith("(0)") and int(answered.split()[0]) > 0 and int(bare_requests) > 0

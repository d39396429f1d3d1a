"""`soko-hub bench receipt` in a short mode: every sale's receipt reaches the listener, and its
table adds up. No latency is asserted here: a test on a shared machine cannot time anything
fairly; the target is reported by the benchmark."""

from __future__ import annotations

from click.testing import CliRunner

from hub.cli import main


def _cells(text: str, measure: str) -> list[str]:
    row = next(line for line in text.splitlines() if line.startswith(f"| {measure} |"))
    return [cell.strip() for cell in row.strip("|").split("|")]


def test_bench_receipt_prints_each_sale_and_reports_it_beside_a_raw_socket(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    result = CliRunner().invoke(main, ["bench", "receipt", "--sales", "10", "--products", "300", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "## Receipt printing, 10 sales" in text and "Machine:" in text
    for label in ("sale committed (its 201) -> receipt's last byte", "sale request -> receipt's last byte",
                  "print-job row written (before the commit) -> last byte"):
        for name in ("p50", "p99"):
            _measure, hub, reference, ratio, _target = _cells(text, f"{label}, {name}")
            hub_ms, ref_ms = float(hub.split()[0]), float(reference.split()[0])
            assert hub_ms >= 0 and ref_ms > 0
            # the cells are rounded to 0.1 ms, the ratio is of the unrounded values
            low, high = (hub_ms - 0.05) / (ref_ms + 0.05), (hub_ms + 0.05) / max(ref_ms - 0.05, 0.001)
            assert low - 0.1 <= float(ratio) <= high + 0.1
    assert _cells(text, "sale committed (its 201) -> receipt's last byte, p99")[4] == "p99 <= 30 ms"
    assert "with a drawer kick, a QR code and a cut" in text

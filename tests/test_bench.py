from click.testing import CliRunner

from hub.cli import main


def test_bench_startup_reports_hub_reference_and_ratio(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    result = CliRunner().invoke(main, ["bench", "startup", "--runs", "1", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "cold start to first health 200" in text and "idle RSS" in text
    assert "Machine:" in text and "commit" in text
    row = next(line for line in text.splitlines() if line.startswith("| cold start"))
    hub_s, ref_s, ratio = (cell.strip() for cell in row.split("|")[2:5])
    assert float(ratio) == round(float(hub_s.split()[0]) / float(ref_s.split()[0]), 2) or abs(
        float(ratio) - float(hub_s.split()[0]) / float(ref_s.split()[0])) < 0.02

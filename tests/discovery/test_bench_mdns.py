from click.testing import CliRunner

from hub.cli import main


def test_bench_mdns_reports_the_hub_beside_a_bare_zeroconf_service(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    result = CliRunner().invoke(main, ["bench", "mdns", "--runs", "1", "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    row = next(line for line in text.splitlines() if line.startswith("| fresh resolver finds a just-started hub (median)"))
    hub_s, ref_s, ratio, target = (cell.strip() for cell in row.split("|")[2:6])
    assert 0 < float(hub_s.split()[0]) < 10 and 0 < float(ref_s.split()[0]) < 10
    assert abs(float(ratio) - float(hub_s.split()[0]) / float(ref_s.split()[0])) < 0.02
    assert target == "<= 1.5 s" and "Machine:" in text

"""`soko-hub till-sim` against a real hub over HTTPS: every sale made is held once, stock agrees."""

from __future__ import annotations

from click.testing import CliRunner

from hub.cli import main
from reftill.till import Till
from tests.pairing import Tills
from tests.reftill.sales import hub_sales, stock_is_the_ledger


def test_till_sim_pairs_three_tills_sells_uploads_and_every_sale_is_held_once(tls_hub, tmp_path):
    Tills.licensed(tls_hub, tls_hub.as_user("admin"))  # three tills are past the trial's two
    where = tmp_path / "sim"
    result = CliRunner().invoke(main, [
        "till-sim", "--hub", tls_hub.url, "--pin", tls_hub.credentials["cashier"][1], "--tills", "3",
        "--seconds", "2", "--manager", "manager", "--manager-password", tls_hub.credentials["manager"][0],
        "--dir", str(where), "--seed", "7"])
    assert result.exit_code == 0, result.output
    total = next(line for line in result.output.splitlines() if line.startswith("total")).split()
    made = []
    for i in (1, 2, 3):
        till = Till(where / f"till-{i}")
        try:
            made += [s["id"] for s in till.sales()]
            assert till.store.unacked()[0] == 0
        finally:
            till.close()
    assert int(total[1]) == len(made) > 3 and int(total[4]) == 0  # sales, unacked
    held = hub_sales(tls_hub)
    assert sorted(held) == sorted(made)  # each exactly once, none lost, none extra
    assert stock_is_the_ledger(tls_hub)


def test_till_sim_without_codes_or_a_manager_says_what_it_needs(tls_hub, tmp_path):
    result = CliRunner().invoke(main, ["till-sim", "--hub", tls_hub.url, "--pin", "1234", "--tills", "1",
                                       "--dir", str(tmp_path / "sim")])
    assert result.exit_code == 1 and "pairing codes are needed" in result.output

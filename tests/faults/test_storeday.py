"""The store-day simulation (hub.bench.storeday, `soko-hub bench storeday`): reference tills selling
through a compressed day while the manager runs reports and counts stock, HQ changes the catalogue
and the HQ link goes down and up; every sale must be held once at the hub and at HQ, stock must
equal the ledger, the audit chain verify and every till be caught up. SOKO_STOREDAY_SECONDS and
SOKO_STOREDAY_TILLS for a longer day."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from hub.bench import storeday
from hub.bench.pgcluster import find_bin_dir
from hub.cli import main

SECONDS = float(os.environ.get("SOKO_STOREDAY_SECONDS", "45"))
TILLS = int(os.environ.get("SOKO_STOREDAY_TILLS", "30"))


@pytest.mark.faults
@pytest.mark.timeout(600 + 3 * SECONDS)
def test_a_store_day_holds_every_sale_once_at_the_hub_and_at_hq(tmp_path, monkeypatch):
    if find_bin_dir() is None:
        pytest.skip("PostgreSQL binaries are missing (apt-get install postgresql; tests/system-packages.txt)")
    seen: list[storeday.Result] = []
    real = storeday.measure

    def spy(**kw):
        seen.append(real(**kw))
        return seen[-1]

    monkeypatch.setattr(storeday, "measure", spy)
    out = tmp_path / "BENCHMARKS.md"
    ran = CliRunner().invoke(main, ["bench", "storeday", "--tills", str(TILLS), "--seconds", str(SECONDS),
                                    "--output", str(out)])
    [result] = seen
    assert ran.exit_code == 0, ran.output
    assert result.ok, storeday.summary(result)
    # the day did what it says
    assert result.made > TILLS and result.hub.held == result.made == result.hq_sales
    assert result.voids >= 1 and result.refunds >= 1 and result.shifts == 2 * TILLS
    assert not result.documents_differ and not result.refund_errors
    assert result.offline_tills == TILLS // storeday.OFFLINE_EVERY
    assert result.hq_outages == 1 and result.hq_refused > 0
    assert result.catalogue_changes == ["price", "new product", "archived product"]
    assert not result.catalogue_missing and result.stock_take == "posted"
    assert result.reports_run > 0 and not result.report_errors
    assert result.hub_totals == result.hq_totals and result.hub_totals
    assert result.hub.audit_ok and result.hub.ledger_differences == 0 and result.hub.stock_moves_ok
    # the table, appended like the other benches'
    text = out.read_text()
    assert f"## Store day, {TILLS} tills" in text and "Machine:" in text and "All checks passed." in text
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0] == "| measure | hub | reference | ratio | target |"
    assert len(table) == 2 + len(storeday.rows(result))
    assert all(line.count("|") == 6 for line in table)
    assert any(line.startswith("| reports run during the day, p50 / p99 |") for line in table)


class _FakeHQ:
    def __init__(self, ids: list[str], totals: list[tuple[str, int]], refunds: tuple[str, ...] = ()) -> None:
        self.ids, self.totals, self.refunds = ids, totals, refunds

    def sql(self, query: str, *params):
        if "FROM voids" in query:
            return [("a",)]
        if "FROM refunds" in query:
            return [(r,) for r in self.refunds]
        return [(i,) for i in self.ids] if "sale_id" in query else self.totals


class _FakeHub:
    def query(self, sql: str, *params):
        if "sale_voids" in sql:
            return [("a",)]
        if "sale_refunds" in sql:
            return [("r1",)]
        return [("USD", 300), ("ZWG", 50)]


class _FakeTill:
    def __init__(self, ids):
        self._ids = ids

    def sales(self):
        return [{"id": i} for i in self._ids]


class _FakeWorker:
    def __init__(self, ids):
        self.till = _FakeTill(ids)


def test_the_hq_comparison_names_a_sale_missing_doubled_or_unknown_and_unequal_totals():
    result = storeday.Result(made=3, hq_backlog=0, stock_take="posted")
    storeday._compare_hq(_FakeHub(), _FakeHQ(["a", "a", "x"], [("USD", 300)]), [_FakeWorker(["a", "b", "c"])],
                         result)
    assert result.hq_doubled == ["a"] and result.hq_missing == ["b", "c"] and result.hq_foreign == ["x"]
    assert result.hub_totals == {"USD": 300, "ZWG": 50} and result.hq_totals == {"USD": 300}
    problems = " ".join(result.problems())
    assert "2 sales missing, 1 doubled, 1 unknown" in problems and "totals differ" in problems
    assert "refunds: 1 not at HQ, 0 only at HQ" in problems and "voided" not in problems
    assert not result.ok

    clean = storeday.Result(made=3, hq_backlog=0, stock_take="posted")
    storeday._compare_hq(_FakeHub(), _FakeHQ(["a", "b", "c"], [("USD", 300), ("ZWG", 50)], ("r1",)),
                         [_FakeWorker(["a", "b", "c"])], clean)
    assert clean.ok, clean.problems()
    clean.unacked = 1
    assert not clean.ok and "1 unacknowledged" in " ".join(clean.problems())

"""The benchmark's history generator, small: it writes through the real schema, the ledger it
leaves agrees with a full replay (`ledger.check`), and every report reads it."""

from __future__ import annotations

from hub.db.connection import connect
from hub.inventory import ledger
from hub.reports import catalog, periods
from hub.reports.generate import generate


def test_a_small_history_is_consistent_and_every_report_reads_it(tmp_path):
    counts = generate(tmp_path / "hub.db", days=8, lines=6000, seed=7)
    assert counts["lines"] > 4000 and counts["voids"] + counts["refunds"] > 0
    conn = connect(tmp_path / "hub.db")
    try:
        assert ledger.check(conn) == []
        assert conn.execute("SELECT count(*) FROM sale_lines").fetchone()[0] == counts["lines"]
        today = periods.today(conn)
        import datetime as dt
        period = periods.for_days(conn, today - dt.timedelta(days=8), today - dt.timedelta(days=1))
        by_currency = catalog.run(conn, "sales-by-currency", period)
        live = conn.execute("SELECT count(*) FROM sales s WHERE training = 0 AND NOT EXISTS"
                            " (SELECT 1 FROM sale_voids v WHERE v.sale_id = s.id)").fetchone()[0]
        assert sum(r["count"] for r in by_currency["rows"]) == live
        for name in catalog.REPORTS:
            assert catalog.run(conn, name, period)["rows"] is not None
    finally:
        conn.close()

"""How fast a backlog of sales drains to the real HQ collector (issue 12: 100,000 sales).

    SOKO_BENCH_BRIDGE_SALES=100000 .venv/bin/python -m pytest -m faults -s tests/bridge/test_drain_bench.py

The backlog is made in one statement per table from one recorded sale (the triggers write the
outbox rows as a till's upload would), then one worker pushes it all, batch after batch, into
HQ on PostgreSQL. It prints facts per second; by default 5,000 sales (the faults suite's budget).
"""

from __future__ import annotations

import os
import time

import pytest

from hub.bridge import state
from hub.bridge.worker import ConnStore, Worker
from hub.db.connection import transaction
from hub.sales.ingest import ingest_sale
from tests.bridge import kit
from tests.hqtest import HQ
from tests.pgcluster import pg_cluster  # noqa: F401  (the session fixture)
from tests.sales.build import cash, cashier, line, sale

COPIES_SQL = {
    "sales": """INSERT INTO sales SELECT {id}, 'B-' || n, store_code, till_code, sequence + n, device_id, shift_id,
                cashier_id, cashier_name, customer_id, currency, rates, tax_mode, subtotal, discount_total, tax_total,
                rounding, total, paid, status, occurred_at, device_clock, recorded_at, body_hash, training
                FROM sales, nums WHERE id = :id""",
    "sale_lines": "INSERT INTO sale_lines SELECT {id}, line_no, product_id, code, name, quantity, unit_price, "
                  "catalogue_price, gross, discount, tax_class_id, tax_code, tax_rate_bp, tax_amount, total{extra} "
                  "FROM sale_lines, nums WHERE sale_id = :id",
    "sale_tenders": "INSERT INTO sale_tenders SELECT {id}, seq, method, provider, reference, currency, amount, rate, "
                    "rate_scale, amount_receipt FROM sale_tenders, nums WHERE sale_id = :id",
}


@pytest.mark.faults
def test_a_backlog_of_sales_drains_to_hq(store, pg_cluster, capsys):  # noqa: F811
    count = int(os.environ.get("SOKO_BENCH_BRIDGE_SALES", "5000"))
    conn, ids, data_dir = store
    body = sale([line(250), line(100, 2000)], [cash(450)], shift_id=ids["shift"])
    with transaction(conn):
        ingest_sale(conn, body, device_id=ids["till"], caller=cashier(ids))
        extra = ", category_id, cost_thousandths" if any(
            r[1] == "cost_thousandths" for r in conn.execute("PRAGMA table_info(sale_lines)")) else ""
        conn.execute(f"CREATE TEMP TABLE nums AS WITH RECURSIVE n(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM n "
                     f"WHERE n < {count - 1}) SELECT n FROM n")
        for table, sql in COPIES_SQL.items():
            conn.execute(sql.format(id=":id || '-' || n", extra=extra), {"id": body["id"]})
    backlog = state.bridge_status(conn)["backlog"]
    assert backlog >= count
    with HQ(pg_cluster) as hq:
        code = hq.create_store("BENCH")
        from hub.bridge import enrol as enrolment
        from hub.db.audit import Actor

        s = ConnStore(conn)
        enrolment.enrol(s.read, s.write, data_dir, Actor.system("bench"), url=hq.url, code=code, store_code="BENCH")
        worker = Worker(s, data_dir)
        kit.WORKERS.append(worker)
        started = time.perf_counter()
        for _ in range(100_000):
            if worker.cycle() != 0.0:
                break
        elapsed = time.perf_counter() - started
        worker.close()
        assert state.bridge_status(conn)["backlog"] == 0, state.bridge_status(conn)["last_error"]
        held = hq.scalar("SELECT count(*) FROM facts")
        assert held == backlog
    with capsys.disabled():
        print(f"\nbridge drain: {count} sales ({backlog} facts) to HQ in {elapsed:.1f} s: "
              f"{backlog / elapsed:.0f} facts/s")

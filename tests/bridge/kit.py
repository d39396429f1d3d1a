"""Helpers of the bridge's tests: a migrated store with a till and a shift, sales, enrolment
with the test HQ, workers closed after each test, and running rounds until the worker rests."""

from __future__ import annotations

from hub.bridge import enrol as enrolment
from hub.bridge.worker import ConnStore, Worker
from hub.db.audit import Actor
from hub.db.connection import transaction
from hub.sales.ingest import ingest_sale
from tests.sales.build import cash, cashier, line, sale

WORKERS: list[Worker] = []


def make_worker(conn, data_dir, **kwargs) -> Worker:
    worker = Worker(ConnStore(conn), data_dir, **kwargs)
    WORKERS.append(worker)
    return worker


def sell(conn, ids, n, start=1):
    with transaction(conn):
        for i in range(n):
            ingest_sale(conn, sale([line(100 + i)], [cash(100 + i)], shift_id=ids["shift"], sequence=start + i),
                        device_id=ids["till"], caller=cashier(ids))


def enrolled(conn, data_dir, hq, code="HRE1"):
    _store_id, enrol_code = hq.store(code, "Harare 1")
    s = ConnStore(conn)
    return enrolment.enrol(s.read, s.write, data_dir, Actor.system("test"), url=hq.url, code=enrol_code)


def drain(worker, rounds=50):
    for _ in range(rounds):
        delay = worker.cycle()
        if delay != 0.0:
            return delay
    raise AssertionError("the worker never settled")

"""Three real hubs push to one real HQ collector through the fault proxy (faults suite): HQ holds
every fact of every store exactly once with each store's own totals per day and currency; a hub
restored from a backup (a new epoch) resends its outbox without duplicates; a hub replaced by
another enrolled for its store is fenced and stops."""

from __future__ import annotations

import os
import sqlite3

import pytest

from hub.db import meta
from hub.db.connection import connect, transaction
from tests.bridge.faultproxy import FaultProxy
from tests.bridge.test_hq_link import (collector, enrolled_hub, fast_link, hq_event_ids, hq_totals,  # noqa: F401
                                       hub_totals, outbox_ids, status_of, wait_for)
from tests.hubtest import HubServer
from tests.pairing import Tills
from tests.pgcluster import pg_cluster  # noqa: F401  (the session fixture)
from tests.sales.recipes import Till

pytestmark = pytest.mark.faults


def trade(hub, n: int) -> None:
    till = Till(hub, paired_by=getattr(hub, "tills", None) or _tills(hub))
    shift = till.shift()
    for _ in range(n):
        till.sell(shift_id=shift)


def _tills(hub):
    hub.tills = Tills.licensed(hub, hub.as_user("admin"))
    return hub.tills


def test_three_hubs_one_hq_a_restored_hub_and_a_replaced_one(tmp_path, collector, fast_link):  # noqa: F811
    with FaultProxy(collector.port) as proxy:
        hubs = {code: enrolled_hub(tmp_path, collector, proxy.url, code) for code in ("S201", "S202", "S203")}
        extra = []
        try:
            proxy.delay = 0.02
            proxy.drop_responses(3)
            proxy.reset_requests(3)
            for hub in hubs.values():
                trade(hub, 8)
            for hub in hubs.values():
                hub.server.app.state.bridge.poke()
            for code, hub in hubs.items():
                wait_for(lambda hub=hub: status_of(hub)["state"] == "current", f"{code} to drain")
            for code, hub in hubs.items():
                held = hq_event_ids(collector, code)
                assert len(held) == len(set(held)) and set(held) == outbox_ids(hub), code
                assert hq_totals(collector, code) == hub_totals(hub), code

            # S201 is restored from a backup taken now, after more trading: a new epoch.
            a = hubs["S201"]
            backup = tmp_path / "s201-backup.db"
            src = sqlite3.connect(a.db_path)
            dst = sqlite3.connect(backup)
            src.backup(dst)
            src.close()
            dst.close()
            trade(a, 3)
            wait_for(lambda: status_of(a)["state"] == "current", "S201 to drain again")
            before = sorted(hq_event_ids(collector, "S201"))
            a.close()
            a.server.stop()
            for suffix in ("", "-wal", "-shm"):
                path = str(a.db_path) + suffix
                if os.path.exists(path):
                    os.remove(path)
            os.replace(backup, a.db_path)
            conn = connect(a.db_path)
            try:
                with transaction(conn):
                    meta.new_epoch(conn)
            finally:
                conn.close()
            restored = type(a)(HubServer(a.server.settings).start(), a.store)
            hubs["S201"] = restored
            wait_for(lambda: status_of(restored)["state"] == "current", "the restored S201 to resend")
            assert sorted(hq_event_ids(collector, "S201")) == before  # nothing twice, nothing lost

            # S203's Pi is replaced: a new hub enrolled for the store fences the old one.
            c = hubs["S203"]
            extra.append(enrolled_hub(tmp_path / "new-pi", collector, proxy.url, "S203"))
            trade(c, 1)
            c.server.app.state.bridge.poke()
            wait_for(lambda: status_of(c)["replaced"], "the old S203 hub to be fenced")
            assert status_of(c)["state"] == "replaced"
        finally:
            for hub in [*hubs.values(), *extra]:
                hub.close()
                hub.server.stop()

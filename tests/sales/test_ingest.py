"""`ingest_sale` as till sync calls it (a decoded payload, not the API's struct): the same sale
sent online and again in a sync upload is one sale; a payload that does not fit the schema is
refused naming its field, with nothing stored."""

from __future__ import annotations

import msgspec
import pytest

from hub.db.connection import transaction
from hub.errors import FieldErrors
from hub.sales.ingest import SaleIdReusedError, body_hash, decode, ingest_sale
from hub.sales.schemas import SaleCreate
from tests.sales.build import cash, cashier, line, sale, till_store


@pytest.fixture
def store(tmp_path):
    conn, ids = till_store(tmp_path / "hub.db")
    yield conn, ids
    conn.close()


def ingest(conn, ids, body):
    with transaction(conn):
        return ingest_sale(conn, body, device_id=ids["till"], caller=cashier(ids))


def test_the_online_body_and_the_sync_payload_are_one_sale(store):
    conn, ids = store
    payload = sale([line(150)], [cash(150)], shift_id=ids["shift"])
    online = msgspec.json.decode(msgspec.json.encode(payload), type=SaleCreate)
    assert body_hash(online) == body_hash(decode(payload)) == body_hash(decode(dict(reversed(payload.items()))))
    first = ingest(conn, ids, online)
    assert first.created and first.raised == ["unknown_product"]
    again = ingest(conn, ids, payload)
    assert (again.sale_id, again.created, again.raised) == (payload["id"], False, [])
    assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 1
    with pytest.raises(SaleIdReusedError):
        ingest(conn, ids, dict(payload, sequence=2))
    with pytest.raises(SaleIdReusedError):  # the same id from another till
        with transaction(conn):
            ingest_sale(conn, payload, device_id="another-till", caller=cashier(ids))


@pytest.mark.parametrize("change, field", [
    (lambda p: p["lines"][0].update(quantity="one"), "lines[0].quantity"),
    (lambda p: p.update(sequence=0), "sequence"),
    (lambda p: p.update(colour="red"), "sale"),
    (lambda p: p["tenders"][0].update(amount=10**20), "tenders[0].amount"),
])
def test_a_payload_that_does_not_fit_is_refused_naming_its_field(store, change, field):
    conn, ids = store
    payload = sale([line(150)], [cash(150)])
    change(payload)
    with pytest.raises(FieldErrors) as refused:
        ingest(conn, ids, payload)
    assert [e["field"] for e in refused.value.errors] == [field], refused.value.errors
    assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 0

import pytest

from hub.catalogue import ownership
from hub.db import meta
from hub.db.connection import connect, transaction
from hub.errors import ConflictError


def test_every_entity_in_the_table_names_only_hq_or_store():
    for entity, fields in ownership.table().items():
        assert set(fields.values()) <= {"hq", "store"}, entity


def test_before_enrolment_the_store_owns_everything(demo_store, settings):
    conn = connect(settings.db_path)
    try:
        ownership.require_store_owned(conn, "products", ["name", "price"])
    finally:
        conn.close()


def test_once_enrolled_hq_fields_are_refused_and_store_fields_pass(demo_store, settings):
    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            meta.put(conn, "hq_enrolled", "1")
        with pytest.raises(ConflictError) as refused:
            ownership.require_store_owned(conn, "products", ["name", "low_stock_threshold", "price"])
        assert refused.value.code == "hq_owned" and refused.value.extra["fields"] == ["name", "price"]
        ownership.require_store_owned(conn, "products", ["override_price", "cost_price"])
        ownership.require_store_owned(conn, "promotions", ["name"], row_from_hq=False)  # the store's own
        with pytest.raises(ConflictError):
            ownership.require_store_owned(conn, "promotions", ["name"])
    finally:
        conn.close()


def test_the_refusal_names_the_kind_of_row_in_words(demo_store, settings):
    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            meta.put(conn, "hq_enrolled", "1")
        for entity, words in (("tax_classes", "this tax class"), ("categories", "this category"),
                              ("currencies", "this currency"), ("products", "this product")):
            with pytest.raises(ConflictError, match=words):
                ownership.require_store_owned(conn, entity, ["name"])
    finally:
        conn.close()

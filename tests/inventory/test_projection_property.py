"""The projection rule under any arrival order (hypothesis): movements and counts of one product,
each with the moment it happened, arrive at the hub in a random order. After every arrival the
level kept incrementally equals a rebuild from the ledger and the set formula of
docs/inventory.md; once all have arrived, on hand is the same whatever order they came in."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.db.connection import transaction
from hub.inventory import check
from hub.inventory.projection import Fact, Level, apply, on_hand_of, replay
from tests.inventory.store import add_product, moved, on_hand, open_store

MOMENTS = [f"2024-04-01T{h:02d}:{m:02d}:00.000000Z" for h in range(8, 12) for m in (0, 30)]


@st.composite
def facts(draw):
    """(kind, quantity, unit_cost, occurred_at) tuples; counts at distinct moments, so which count
    is the latest never rests on the tie-break by id (ids are born on arrival)."""
    count_moments = draw(st.lists(st.sampled_from(MOMENTS), unique=True, max_size=3))
    out = [("count", draw(st.integers(0, 50)) * 500, None, m) for m in count_moments]
    for _ in range(draw(st.integers(1, 9))):
        kind = draw(st.sampled_from(["receipt", "sale", "adjustment", "refund"]))
        size = draw(st.integers(1, 40)) * 250
        quantity = {"receipt": size, "refund": size, "sale": -size,
                    "adjustment": draw(st.sampled_from([size, -size]))}[kind]
        cost = draw(st.integers(0, 900)) if kind == "receipt" else None
        out.append((kind, quantity, cost, draw(st.sampled_from(MOMENTS))))
    return out


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    conn = open_store(tmp_path_factory.mktemp("property") / "hub.db")
    yield conn
    conn.close()


def recorded_facts(conn, product_id):
    rows = conn.execute("SELECT m.id, k.direction, m.quantity, m.unit_cost, m.occurred_at FROM stock_movements m"
                        " JOIN stock_movement_kinds k USING (kind) WHERE m.product_id = ? ORDER BY m.seq",
                        (product_id,)).fetchall()
    return [Fact(*r) for r in rows]


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=facts(), order=st.randoms(use_true_random=False))
def test_incremental_equals_rebuild_and_the_set_formula_for_any_arrival_order(store, data, order):
    finals = []
    for _attempt in range(2):  # the same facts, two arrival orders
        arriving = list(data)
        order.shuffle(arriving)
        product = add_product(store)
        for kind, quantity, cost, moment in arriving:
            moved(store, product, kind, quantity, unit_cost=cost, occurred_at=moment)
            assert check(store, product) == []  # incremental == replay == SQL set formula
            assert on_hand(store, product) == on_hand_of(recorded_facts(store, product))
        finals.append(on_hand(store, product))
    assert finals[0] == finals[1]


def test_replay_and_the_set_formula_agree_on_a_worked_example():
    t = MOMENTS
    facts_in_arrival_order = [
        Fact("a", "in", 10000, 100, t[0]),
        Fact("b", "out", -2000, None, t[4]),  # after the count below
        Fact("c", "level", 7000, None, t[2]),  # counted 7 at t2: the sale at t4 still comes off
        Fact("d", "out", -1000, None, t[1]),  # arrives late but happened before the count: no effect
        Fact("e", "level", 3000, None, t[1]),  # an older count: history only
    ]
    level = Level()
    for fact in facts_in_arrival_order:
        later = sum(f.quantity for f in facts_in_arrival_order[:facts_in_arrival_order.index(fact)]
                    if not f.is_count and f.occurred_at > fact.occurred_at) if fact.is_count else 0
        level = apply(level, fact, later)
    assert level.on_hand == replay(facts_in_arrival_order).on_hand == on_hand_of(facts_in_arrival_order) == 5000
    assert level.baseline_id == "c" and level.avg_cost == 100 and level.value == 500


def test_replay_of_a_store_matches_what_move_kept(store):
    product = add_product(store)
    for kind, quantity, cost in (("receipt", 3000, 200), ("sale", -1000, None), ("receipt", 1000, 260)):
        moved(store, product, kind, quantity, unit_cost=cost)
    with transaction(store):
        row = store.execute("SELECT on_hand, avg_cost FROM stock_levels WHERE product_id = ?", (product,)).fetchone()
    assert tuple(row) == (3000, 220)  # (2 x 200 + 1 x 260) / 3
    assert replay(recorded_facts(store, product)).avg_cost == 220

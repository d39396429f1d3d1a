"""Which entry of an effective-from history is in force at a moment."""

from hypothesis import given
from hypothesis import strategies as st

from hub.catalogue.in_force import in_force, status


def entry(entry_id, start, recorded="2026-01-01T00:00:00.000000Z", **extra):
    return {"id": entry_id, "effective_from": start, "created_at": recorded, **extra}


HISTORY = [
    entry("a", "2023-01-01T00:00:00.000000Z"),
    entry("b", "2026-01-01T00:00:00.000000Z"),
    entry("c", "2027-01-01T00:00:00.000000Z"),
]


def test_the_latest_start_not_after_the_moment_is_in_force():
    assert in_force(HISTORY, "2025-06-01T00:00:00.000000Z")["id"] == "a"
    assert in_force(HISTORY, "2026-06-01T00:00:00.000000Z")["id"] == "b"
    assert in_force(HISTORY, "2030-01-01T00:00:00.000000Z")["id"] == "c"


def test_an_entry_is_in_force_from_its_very_start():
    assert in_force(HISTORY, "2026-01-01T00:00:00.000000Z")["id"] == "b"
    assert in_force(HISTORY, "2025-12-31T23:59:59.999999Z")["id"] == "a"


def test_nothing_is_in_force_before_the_first_start():
    assert in_force(HISTORY, "2022-12-31T00:00:00.000000Z") is None
    assert in_force([], "2026-01-01T00:00:00.000000Z") is None


def test_a_correction_at_the_same_start_wins_because_it_was_recorded_later():
    history = [entry("late", "2026-01-01T00:00:00.000000Z", "2026-02-01T00:00:00.000000Z"),
               entry("early", "2026-01-01T00:00:00.000000Z", "2026-01-05T00:00:00.000000Z")]
    assert in_force(history, "2026-03-01T00:00:00.000000Z")["id"] == "late"
    assert in_force(list(reversed(history)), "2026-03-01T00:00:00.000000Z")["id"] == "late"


def test_the_order_of_the_history_does_not_matter():
    assert in_force(list(reversed(HISTORY)), "2026-06-01T00:00:00.000000Z")["id"] == "b"


def test_status_says_scheduled_in_force_or_superseded():
    now = "2026-06-01T00:00:00.000000Z"
    current = in_force(HISTORY, now)
    assert [status(e, current, now) for e in HISTORY] == ["superseded", "in_force", "scheduled"]


_STAMPS = st.integers(min_value=0, max_value=50).map(lambda d: f"2026-01-{1 + d % 28:02d}T{d % 24:02d}:00:00.000000Z")


@given(starts=st.lists(_STAMPS, max_size=8), at=_STAMPS)
def test_in_force_is_the_maximum_of_the_started_entries(starts, at):
    history = [entry(f"{i:02d}", s, f"2026-01-01T00:00:{i:02d}.000000Z") for i, s in enumerate(starts)]
    started = [e for e in history if e["effective_from"] <= at]
    chosen = in_force(history, at)
    if not started:
        assert chosen is None
    else:
        assert chosen is not None and chosen["effective_from"] <= at
        assert all((e["effective_from"], e["created_at"]) <= (chosen["effective_from"], chosen["created_at"])
                   for e in started)

"""GET /api/v1/sync/changes and /snapshot through the real hub: paging, consistent batches,
long poll, 410, snapshot integrity and convergence (docs/sync.md, "Down")."""

from __future__ import annotations

import threading
import time

import pytest

from hub.db.changes import record_change
from hub.db.settings import put_setting
from hub.sync import feed
from tests.people import People, query, unique
from tests.sync.down_till import CHANGES, SNAPSHOT, TillCopy, decode_snapshot, gone, manager_and_tills


def _db(hub):
    return hub.server.app.state.db


def _record(hub, rows: int, tag: str) -> None:
    """One transaction recording `rows` unit changes tagged `tag` (what a bulk price change does)."""
    def write(conn):
        for i in range(rows):
            record_change(conn, "unit", f"{tag}-{i}", 1, "upsert", {"tag": tag, "i": i, "of": rows})
    _db(hub).write_sync(write)


@pytest.fixture
def till(hub):
    _people, tills = manager_and_tills(hub)
    copy = TillCopy.paired(hub, tills)
    copy.load_snapshot()
    return copy


def test_a_till_pages_through_the_feed_from_its_snapshot_cursor(hub, till):
    epoch, seq = till.cursor.rsplit(":", 1)
    assert till.header["epoch"] == epoch and int(seq) > 0
    for n in range(5):
        _record(hub, 1, f"page{n}")
    pages = till.pull_all(limit=2)
    assert [len(p["changes"]) for p in pages] == [2, 2, 1]
    assert [p["more"] for p in pages] == [True, True, False]
    seqs = [c["seq"] for p in pages for c in p["changes"]]
    assert seqs == sorted(seqs) and seqs[0] > int(seq)
    assert sorted(i for i in till.of("unit") if i.startswith("page")) == [f"page{n}-0" for n in range(5)]
    assert pages[-1]["cursor"] == f"{epoch}:{seqs[-1]}" and pages[-1]["hub_time"]
    assert till.pull()["changes"] == []  # nothing new: same cursor back
    assert till.cursor == f"{epoch}:{seqs[-1]}"


def test_a_large_batch_comes_compressed_to_a_till_that_accepts_gzip(hub, till):
    _record(hub, 200, "big")
    plain = till.http.get(CHANGES, params={"cursor": till.cursor}, headers={"Accept-Encoding": "identity"})
    packed = till.http.get(CHANGES, params={"cursor": till.cursor}, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    unpacked, expected = packed.json(), plain.json()
    assert unpacked.pop("hub_time") and expected.pop("hub_time") and unpacked == expected
    assert int(packed.headers["content-length"]) < len(plain.content) / 2
    assert len(plain.json()["changes"]) == 200


def test_a_batch_never_ends_inside_a_transaction_even_while_others_commit(hub, till):
    sizes = [3, 1, 7, 2, 12, 5, 1, 4] * 3
    tags = [f"{unique('t')}-{k}" for k in range(len(sizes))]

    def writer():
        for tag, size in zip(tags, sizes):
            _record(hub, size, tag)

    thread = threading.Thread(target=writer)
    thread.start()
    batches = []
    while thread.is_alive() or not batches or batches[-1]["more"]:
        batches.append(till.pull(limit=5))
    thread.join()
    batches += till.pull_all(limit=5)
    for batch in batches:
        seen: dict[str, set[int]] = {}
        for c in batch["changes"]:
            seen.setdefault(c["data"]["tag"], set()).add(c["data"]["i"])
        for tag, got in seen.items():
            size = sizes[tags.index(tag)]
            assert got == set(range(size)), f"batch split the transaction {tag}"
    # A transaction larger than the limit comes whole, in one batch over the limit.
    assert any(len(b["changes"]) == 12 for b in batches)
    assert len([i for i in till.of("unit") if i.startswith(tuple(tags))]) == sum(sizes)


def test_a_long_poll_returns_when_a_change_commits_and_empty_when_none_does(hub, till):
    started = time.monotonic()
    page = till.pull(wait=1)
    assert page["changes"] == [] and page["more"] is False
    assert time.monotonic() - started >= 0.9  # it did hold
    cursor = till.cursor
    got: dict = {}

    def poll():
        got["page"] = till.pull(wait=25)
        got["at"] = time.monotonic()

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.5)
    committed = time.monotonic()
    _record(hub, 2, "woken")
    thread.join(30)
    assert [c["id"] for c in got["page"]["changes"]] == ["woken-0", "woken-1"]
    assert got["at"] - committed < 20  # woken by the commit, not by the end of its 25 s
    assert till.cursor != cursor


def test_a_long_poll_passes_over_rows_the_till_does_not_receive(hub, till):
    def supplier(conn):
        record_change(conn, "supplier", "s-1", 1, "upsert", {"name": "Not for tills"})
    _db(hub).write_sync(supplier)
    page = till.pull(wait=1)
    assert page["changes"] == []
    last = query(hub, "SELECT max(seq) FROM changes")[0][0]
    assert till.cursor.endswith(f":{last}")


def test_an_unknown_epoch_or_a_cursor_from_the_future_is_410_epoch_unknown(hub, till):
    epoch, seq = till.cursor.rsplit(":", 1)
    assert gone(till.http.get(CHANGES, params={"cursor": f"01a00000-0000-7000-8000-000000000000:{seq}"})) \
        == "epoch_unknown"
    assert gone(till.http.get(CHANGES, params={"cursor": f"{epoch}:{int(seq) + 1000}"})) == "epoch_unknown"


def test_a_trimmed_cursor_is_410_cursor_trimmed_and_a_new_snapshot_carries_on(hub, till):
    old = till.cursor
    for n in range(3):
        _record(hub, 1, "again")  # the same entity three times: the first two are replaceable
    through = int(query(hub, "SELECT max(seq) FROM changes")[0][0])
    result = _db(hub).write_sync(feed.trim, through=through)
    assert result["through"] == through and result["removed"] >= 2
    assert gone(till.http.get(CHANGES, params={"cursor": old})) == "cursor_trimmed"
    till.load_snapshot()
    assert till.of("unit")["again-0"] == {"tag": "again", "i": 0, "of": 1}  # the newest row stays
    assert till.pull()["changes"] == []


def test_bad_cursors_and_bounds_are_refused(hub, till):
    for params, status in (({}, 400), ({"cursor": "nonsense"}, 422), ({"cursor": till.cursor, "limit": 0}, 400),
                           ({"cursor": till.cursor, "limit": 5001}, 400), ({"cursor": till.cursor, "wait": 31}, 400)):
        assert till.http.get(CHANGES, params=params).status_code == status, params


def test_a_snapshot_is_whole_and_a_cut_off_one_is_detected(hub, till):
    raw = till.raw_snapshot()
    lines = decode_snapshot(raw)
    assert set(lines[0]) == {"epoch", "cursor", "hub_time", "entities"}
    assert lines[-1] == {"end": True, "count": len(lines) - 2}
    assert {"product", "user", "role", "setting", "currency"} <= set(lines[0]["entities"])
    assert "supplier" not in lines[0]["entities"]
    for cut in (len(raw) // 2, len(raw) - 9, len(raw) - 1):
        with pytest.raises(ValueError):
            decode_snapshot(raw[:cut])


def test_a_till_holds_only_its_own_device_row(hub):
    _people, tills = manager_and_tills(hub)
    one, two = TillCopy.paired(hub, tills), TillCopy.paired(hub, tills)
    one.load_snapshot()
    two.load_snapshot()
    assert set(one.of("device")) == {one.device_id}
    assert set(two.of("device")) == {two.device_id}
    assert "token_hash" not in one.of("device")[one.device_id]


def test_snapshot_then_feed_equals_the_hub_while_writes_go_on(hub):
    people, tills = manager_and_tills(hub)
    till = TillCopy.paired(hub, tills)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer():
        n = 0
        try:
            while not stop.is_set():
                n += 1
                def write(conn, n=n):
                    put_setting(conn, "receipt.footer", f"Thank you {n}")
                    for i in range(3):
                        record_change(conn, "category", f"c{i}", n, "upsert", {"n": n, "i": i})
                _db(hub).write_sync(write)
                r = people.root.post("/api/v1/categories", json={"name": unique("Category")})
                assert r.status_code == 201, r.text
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.3)
        till.load_snapshot()  # while writes commit
        till.pull_all(limit=7)
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join(30)
    assert not errors
    till.pull_all(limit=7)
    fresh = TillCopy(hub, till.http.headers["X-Device-Token"], till.device_id)
    fresh.load_snapshot()
    assert fresh.cursor == till.cursor
    assert till.rows == fresh.rows
    assert till.of("setting")["receipt.footer"]["value"].startswith("Thank you")


def test_a_till_receives_its_own_shifts_only(hub):
    from tests.shifts import recipes as shifts

    people = People(hub)
    t = shifts.tills(people)
    mine, other = t.pair(), t.pair()
    copies = {}
    for till in (mine, other):
        r = t.login(till["device_token"], "cashier", hub.credentials["cashier"][0])
        assert r.status_code == 201, r.text
        with t.as_till(till["device_token"], r.json()["access_token"]) as client:
            r = client.post(shifts.SHIFTS, json={"floats": shifts.FLOATS})
            assert r.status_code == 201, r.text
        copy = TillCopy(hub, till["device_token"], till["device_id"])
        copy.load_snapshot()
        copies[till["device_id"]] = copy
    for device_id, copy in copies.items():
        held = copy.of("shift")
        assert len(held) == 1 and all(s["device_id"] == device_id for s in held.values())


def test_an_upsert_without_data_still_gives_a_whole_snapshot(hub, till):
    def bare(conn):
        record_change(conn, "unit", "u-bare", 1, "upsert", None)
    _db(hub).write_sync(bare)
    till.load_snapshot()
    assert ("unit", "u-bare") in till.rows and till.rows[("unit", "u-bare")] == (1, None)


def test_a_till_that_goes_away_mid_snapshot_frees_its_place(hub, till):
    import secrets

    def bulk(conn):
        for i in range(20000):
            record_change(conn, "unit", f"noise-{i}", 1, "upsert", {"noise": secrets.token_hex(200)})
    _db(hub).write_sync(bulk)
    for _ in range(3):  # more than the snapshots sent at once
        with till.http.stream("GET", SNAPSHOT) as r:
            assert r.status_code == 200
            next(r.iter_raw(4096))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(t.name == "soko-snapshot" for t in threading.enumerate()):
        time.sleep(0.1)
    assert not [t for t in threading.enumerate() if t.name == "soko-snapshot"]
    till.load_snapshot()  # and a whole one still comes
    assert len([k for k in till.rows if k[1].startswith("noise-")]) == 20000


def test_a_sender_waiting_for_a_chunk_is_let_go_when_the_snapshot_is_closed(hub, till):
    """The HTTP side asks for the next chunk on a worker thread; a till that hangs up closes the
    stream meanwhile, and its reader stops without a last item. The sender must not wait for it
    forever (that held a worker thread for good, and the process at its exit)."""
    from hub.sync.snapshot import SnapshotStream

    _record(hub, 20000, "bulk")
    db = _db(hub)
    stream = SnapshotStream(db.path, till.device_id, db.floor)
    assert stream.next_chunk() is not None  # the header line went in (compressed bytes may come later)
    stream.close()
    got: list = []
    sender = threading.Thread(target=lambda: got.extend(iter(stream.next_chunk, None)), daemon=True)
    sender.start()
    sender.join(10)
    assert not sender.is_alive(), "the sender still waits for a chunk of a closed snapshot"
    assert stream.next_chunk() is None

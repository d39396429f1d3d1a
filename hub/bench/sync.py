"""Till sync down, end to end: a full sync of `n` products and a delta of 500 changes.

A scratch demo store gets `n` generated products published on the change feed (as an import
does) and one paired till; the hub serves it as shipped (HTTPS, its own certificate) in a child
process on 127.0.0.1. The till's side runs here, as a till does it: a full sync downloads
`GET /api/v1/sync/snapshot`, decompresses and decodes it line by line as it arrives and inserts
every row into a new till-like SQLite file (one table keyed by entity and id) beside the till's,
renamed over it once the end line's count matched and the file is fsync'd (target <= 1 s for
50,000 products); the till then opens it in WAL for deltas. A delta: 500 products get a
new price in the hub's database (one change row each, in transactions of 50, as a bulk price
edit commits them), then the till pulls `GET /api/v1/sync/changes` from its cursor until
`more` is false and applies each batch in one transaction (target <= 100 ms).

The reference, in the same run and process, is the same decode and insert on the same bytes
(the snapshot downloaded once, the delta's pages as they were answered) without the hub or
HTTP: the ratio is what serving costs over the till's own unavoidable work.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import httpx
import msgspec

from hub.bench.lookup import _free_port, _start_hub, _stop, _wait_ready

FULL_TARGET_S = 1.0
DELTA_TARGET_S = 0.1
DELTA_CHANGES = 500
DELTA_TXN = 50  # changes per hub transaction in the delta
RAW_CHUNK = 64 * 1024
BATCH = 2000  # snapshot rows decoded and inserted together
# A rowid table: rows of a kilobyte in a WITHOUT ROWID table insert about five times slower.
TILL_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (entity TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
                                 data BLOB NOT NULL, UNIQUE (entity, id));
CREATE TABLE IF NOT EXISTS cursor (one INTEGER PRIMARY KEY CHECK (one = 1), value TEXT NOT NULL);
"""
UPSERT_SQL = "INSERT OR REPLACE INTO rows (entity, id, version, data) VALUES (?, ?, ?, ?)"
DELETE_SQL = "DELETE FROM rows WHERE entity = ? AND id = ?"


class Row(msgspec.Struct):
    entity: str
    id: str
    version: int
    data: msgspec.Raw


class Change(msgspec.Struct):
    seq: int
    entity: str
    id: str
    version: int
    op: str
    data: msgspec.Raw


class Page(msgspec.Struct):
    cursor: str
    changes: list[Change]
    more: bool
    hub_time: str


_rows = msgspec.json.Decoder(list[Row])
_any = msgspec.json.Decoder()
_page = msgspec.json.Decoder(Page)


@dataclass
class Result:
    products: int
    load_s: float
    snapshot_bytes: int = 0
    snapshot_rows: int = 0
    full_s: list[float] = field(default_factory=list)
    full_ref_s: list[float] = field(default_factory=list)
    download_s: list[float] = field(default_factory=list)  # the snapshot fetched and dropped
    delta_s: list[float] = field(default_factory=list)
    delta_ref_s: list[float] = field(default_factory=list)
    delta_changes: int = 0
    delta_pages: int = 0
    load_average: float = 0.0


# ---- the till's side ---------------------------------------------------------------------------

def till_db(path: Path):
    import sqlite3

    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.executescript(TILL_SCHEMA)
    return conn


def lines_of(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The NDJSON lines of a gzip stream given in pieces; ValueError if it does not end cleanly."""
    gunzip = zlib.decompressobj(31)
    rest = b""
    for chunk in chunks:
        data = rest + gunzip.decompress(chunk)
        *whole, rest = data.split(b"\n")
        yield from whole
    data = rest + gunzip.flush()
    if not gunzip.eof:
        raise ValueError("the snapshot's gzip stream was cut off")
    yield from (line for line in data.split(b"\n") if line)


def load_snapshot(path: Path, chunks: Iterable[bytes]) -> int:
    """Load a snapshot aside and swap it in for the till database at `path`; returns its row count.

    As a till replaces everything it holds: the rows go into a new file next to it, written with
    no journal (a load that fails or is cut off leaves only that file, which is deleted; the till
    keeps what it had), fsync'd once, then renamed over the old one. Each row's JSON is written
    once instead of twice (WAL, then checkpoint). Rows are decoded a batch at a time (one JSON
    array of BATCH lines, one call into msgspec) and inserted with one executemany each."""
    import os
    import sqlite3

    aside = path.with_name(path.name + ".loading")
    aside.unlink(missing_ok=True)
    conn = sqlite3.connect(str(aside), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -65536")
        conn.executescript(TILL_SCHEMA)
        lines = lines_of(chunks)
        first = next(lines, None)
        if first is None:
            raise ValueError("the snapshot is empty")
        header = _any.decode(first)
        conn.execute("BEGIN")
        count, batch, end = 0, [], None

        def flush() -> int:
            rows = _rows.decode(b"[" + b",".join(batch) + b"]")
            conn.executemany(UPSERT_SQL, [(r.entity, r.id, r.version, memoryview(r.data)) for r in rows])
            batch.clear()
            return len(rows)

        for line in lines:
            if line.startswith(b'{"entity"'):
                batch.append(line)
                if len(batch) >= BATCH:
                    count += flush()
            else:
                end = _any.decode(line)
        if batch:
            count += flush()
        if not end or end.get("count") != count:
            raise ValueError(f"the snapshot is not whole ({count} rows, end line {end})")
        conn.execute("INSERT OR REPLACE INTO cursor (one, value) VALUES (1, ?)", (header["cursor"],))
        conn.execute("COMMIT")
        conn.close()
        fd = os.open(aside, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(aside, path)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)  # the rename itself
        finally:
            os.close(fd)
    except BaseException:
        conn.close()
        aside.unlink(missing_ok=True)
        raise
    return count


def apply_page(conn: Any, body: bytes) -> Page:
    page = _page.decode(body)
    conn.execute("BEGIN")
    for c in page.changes:
        if c.op == "delete":
            conn.execute(DELETE_SQL, (c.entity, c.id))
        else:
            conn.execute(UPSERT_SQL, (c.entity, c.id, c.version, bytes(c.data)))
    conn.execute("INSERT OR REPLACE INTO cursor (one, value) VALUES (1, ?)", (page.cursor,))
    conn.execute("COMMIT")
    return page


# ---- the hub's side ----------------------------------------------------------------------------

def prepare(data: Path, products: int, seed: int) -> tuple[str, float]:
    """A demo store with `products` generated products on the feed and one paired till; returns
    the till's device token and how long loading took."""
    from hub.auth.passwords import SecretHasher
    from hub.catalogue import demo
    from hub.catalogue.demo_install import install
    from hub.db import devices
    from hub.db.audit import Actor
    from hub.db.connection import connect, transaction
    from hub.setup import DEMO_STORE, create_database

    started = time.perf_counter()
    create_database(data / "hub.db", store_name=DEMO_STORE["name"], store_code=DEMO_STORE["code"],
                    timezone=DEMO_STORE["timezone"], hasher=SecretHasher(1, 8), demo=True)
    generated = demo.generate(products, seed)
    conn = connect(data / "hub.db")
    try:
        with transaction(conn):
            install(conn, demo.DemoCatalogue(products=generated), Actor.system("bench"))
            token, _device = devices.create_device(conn, name="Bench till", platform="bench", app_version="0",
                                                   serial=None, paired_by=None, license_id=None, address=None)
        conn.execute("PRAGMA optimize")
    finally:
        conn.close()
    return token, time.perf_counter() - started


def reprice(db_path: Path, count: int, round_no: int) -> None:
    """`count` products get a new price, DELTA_TXN to a transaction, each published on the feed."""
    from hub.db import products
    from hub.db.connection import connect, transaction

    conn = connect(db_path)
    try:
        every = [r[0] for r in conn.execute("SELECT id FROM products ORDER BY id")]
        start = round_no * count % len(every)
        ids = (every[start:] + every[:start])[:count]  # each round other products, while there are
        for start in range(0, len(ids), DELTA_TXN):
            with transaction(conn):
                for product_id in ids[start:start + DELTA_TXN]:
                    conn.execute("UPDATE product_prices SET price = price + 1 WHERE product_id = ?", (product_id,))
                    products.update_product(conn, product_id, {})
                    products.publish(conn, product_id)
    finally:
        conn.close()


def measure(products: int, runs: int, seed: int) -> Result:
    import os

    with tempfile.TemporaryDirectory(prefix="soko-bench-sync-") as tmp:
        data = Path(tmp) / "var"
        data.mkdir()
        token, load_s = prepare(data, products, seed)
        result = Result(products=products, load_s=load_s, load_average=os.getloadavg()[0])
        port = _free_port()
        base = f"https://127.0.0.1:{port}"
        proc = _start_hub(data, port)
        try:
            _wait_ready(proc, base)
            headers = {"X-Device-Token": token}
            with httpx.Client(base_url=base, verify=False, timeout=60, headers=headers) as client:
                raw = b""
                for run in range(runs + 1):  # the first run warms the hub and the page cache up
                    started = time.perf_counter()
                    kept: list[bytes] = []
                    with client.stream("GET", "/api/v1/sync/snapshot") as r:
                        r.raise_for_status()
                        count = load_snapshot(Path(tmp) / f"till-{run}.db", _keep(r.iter_raw(RAW_CHUNK), kept))
                    elapsed = time.perf_counter() - started
                    raw = b"".join(kept)
                    started = time.perf_counter()
                    load_snapshot(Path(tmp) / f"ref-{run}.db", _pieces(raw))
                    ref_elapsed = time.perf_counter() - started
                    started = time.perf_counter()
                    with client.stream("GET", "/api/v1/sync/snapshot") as r:
                        for _chunk in r.iter_raw(RAW_CHUNK):
                            pass
                    download = time.perf_counter() - started
                    if run:
                        result.full_s.append(elapsed)
                        result.full_ref_s.append(ref_elapsed)
                        result.download_s.append(download)
                    result.snapshot_bytes, result.snapshot_rows = len(raw), count
                till = till_db(Path(tmp) / "till-0.db")
                for run in range(runs + 1):
                    reprice(data / "hub.db", DELTA_CHANGES, run)
                    cursor = till.execute("SELECT value FROM cursor").fetchone()[0]
                    started = time.perf_counter()
                    bodies, changes = [], 0
                    while True:
                        r = client.get("/api/v1/sync/changes", params={"cursor": cursor, "limit": 500})
                        r.raise_for_status()
                        page = apply_page(till, r.content)
                        bodies.append(r.content)
                        changes += len(page.changes)
                        cursor = page.cursor
                        if not page.more:
                            break
                    elapsed = time.perf_counter() - started
                    ref = till_db(Path(tmp) / f"delta-ref-{run}.db")
                    started = time.perf_counter()
                    for body in bodies:
                        apply_page(ref, body)
                    ref_elapsed = time.perf_counter() - started
                    ref.close()
                    if run:
                        result.delta_s.append(elapsed)
                        result.delta_ref_s.append(ref_elapsed)
                        result.delta_changes, result.delta_pages = changes, len(bodies)
                till.close()
        finally:
            _stop(proc)
    return result


def _keep(chunks: Iterable[bytes], kept: list[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        kept.append(chunk)
        yield chunk


def _pieces(raw: bytes) -> Iterator[bytes]:
    for start in range(0, len(raw), RAW_CHUNK):
        yield raw[start:start + RAW_CHUNK]


# ---- report ------------------------------------------------------------------------------------

def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def summary(r: Result) -> str:
    return (f"{r.products} products (loaded and published in {r.load_s:.1f} s), one till, the hub over HTTPS "
            f"on 127.0.0.1 in a child process; medians of {len(r.full_s)} runs after a warm-up. Snapshot "
            f"{r.snapshot_rows} rows, {r.snapshot_bytes / 1e6:.1f} MB gzip. Delta: {r.delta_changes} price "
            f"changes in {r.delta_pages} page(s). Reference: the same bytes decoded and inserted into the "
            f"same till-like SQLite without the hub or HTTP. Load average {r.load_average:.1f} when it began.")


def rows(r: Result) -> list[tuple[str, str, str, str, str]]:
    full, full_ref = statistics.median(r.full_s), statistics.median(r.full_ref_s)
    delta, delta_ref = statistics.median(r.delta_s), statistics.median(r.delta_ref_s)
    return [
        (f"full sync, {r.products} products (snapshot to committed till db)", _ms(full), _ms(full_ref),
         f"{full / full_ref:.2f}", f"<= {_ms(FULL_TARGET_S)}"),
        (f"full sync, slowest of {len(r.full_s)}", _ms(max(r.full_s)), _ms(max(r.full_ref_s)), "-", "-"),
        ("snapshot served alone (downloaded, not decoded)", _ms(statistics.median(r.download_s)), "-", "-", "-"),
        (f"delta, {r.delta_changes} changes (pull to committed)", _ms(delta), _ms(delta_ref),
         f"{delta / delta_ref:.2f}", f"<= {_ms(DELTA_TARGET_S)}"),
        (f"delta, slowest of {len(r.delta_s)}", _ms(max(r.delta_s)), _ms(max(r.delta_ref_s)), "-", "-"),
    ]

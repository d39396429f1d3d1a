"""Crash loop: a real hub process under load from reference tills, killed at random moments.

A scratch demo store (its catalogue loaded) is served by `python -m hub serve` on 127.0.0.1 in
its own process, as shipped except for plain HTTP (the crash is what is measured, not TLS) and a
fast password KDF. Reference tills (reftill, the same client a till would be) are paired once
and then, each in its own thread, sell small baskets and upload them through the real API: most
through till sync (`POST /api/v1/sync/events`), one posting each sale with `POST /api/v1/sales`.
Every sale the hub acknowledged is recorded the moment the till learns it.

Each round starts the hub, lets the tills sell for a random moment (a few rounds kill it before
it has answered its health check, while it opens the database) and stops it without warning:
SIGKILL, or with `power_cut` (hub.bench.powercut) a power cut that also loses every write the
hub had not fsync'd. Between rounds, while the hub is down, every acknowledged sale must be in
its database already: an acknowledgement is a promise the commit is durable.

At the end the hub is started once more, the tills upload what they still hold and the
database is checked: every sale a till made present exactly once, `PRAGMA integrity_check` ok,
the stock ledger check clean (and each stock-tracked line moved once), the audit chain whole,
and no till was ever asked to resend a fact the hub had acknowledged (a 409 sequence gap or a
new epoch would mean the hub forgot one).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from hub.bench.report import percentile

START_TIMEOUT_S = 60
CUT_AFTER_WRITES = 3000  # a power cut by count comes at a random watched write up to this
_ROOT = Path(__file__).resolve().parent.parent.parent
POLL_S = 0.01
BACKLOG = 6  # a till stops ringing up sales while this many of its facts wait for the hub
EARLY_KILL_SHARE = 0.1  # rounds that kill the hub before its first health answer
CASHIER = "cashier"


@dataclass
class Result:
    kills: int = 0
    tills: int = 0
    mode: str = "SIGKILL"
    forked: bool = False
    max_delay_s: float = 0.0
    early_kills: int = 0
    start_s: list[float] = field(default_factory=list)  # launch to first health 200, per round
    alive_s: list[float] = field(default_factory=list)  # launch to the kill, per round
    made: int = 0  # sales the tills rang up
    acknowledged: int = 0  # of them, acknowledged by the hub before the end
    acknowledged_before_kills: int = 0  # acknowledged while the loop ran (before the final upload)
    held: int = 0
    lost: list[str] = field(default_factory=list)  # acknowledged (or made) and not held
    doubled: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # held and made by no till
    lost_between_kills: list[str] = field(default_factory=list)  # acknowledged, then missing after a kill
    integrity: list[str] = field(default_factory=list)
    ledger_differences: int = 0
    stock_moves_ok: bool = True
    audit_ok: bool = True
    audit_entries: int = 0
    audit_reason: str = ""
    resend_asked: int = 0  # sequence gaps and new epochs the tills met (each a forgotten acknowledgement)
    refused: list[str] = field(default_factory=list)  # answers other than success or no answer
    cuts: int = 0  # power cuts the shim reported making
    writes_undone: int = 0  # unsynced writes it put back over all of them
    wall_s: float = 0.0
    load_average: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.foreign or self.lost_between_kills or self.integrity
                    or self.ledger_differences or not self.stock_moves_ok or not self.audit_ok
                    or self.resend_asked or self.refused)

    def problems(self) -> list[str]:
        out = []
        for name in ("lost", "doubled", "foreign", "lost_between_kills", "integrity", "refused"):
            value = getattr(self, name)
            if value:
                out.append(f"{name}: {len(value)} ({', '.join(map(str, value[:5]))})")
        if self.ledger_differences:
            out.append(f"{self.ledger_differences} stock levels differ from the ledger")
        if not self.stock_moves_ok:
            out.append("a sale's stock-tracked lines did not each move stock once")
        if not self.audit_ok:
            out.append(f"the audit chain does not verify: {self.audit_reason}")
        if self.resend_asked:
            out.append(f"the hub asked tills {self.resend_asked} times to resend what it had acknowledged")
        return out


class HubExitedError(RuntimeError):
    """The hub process ended before it served."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HubRunner:
    """`python -m hub serve` on a fixed port over a scratch data directory, started and killed at will.

    With `forked`, each start is a fork of a waiting process that has already imported the hub
    (`zygote`): the child runs the same `serve` command, but the round does not pay a second of
    imports, so a loop of hundreds of kills fits CI's budget. A power cut needs the shim loaded
    into a fresh process, so it always starts with exec."""

    def __init__(self, directory: Path, forked: bool = False) -> None:
        self.directory = directory
        self.data = directory / "var"
        self.config = directory / "hub.toml"
        self.config.write_text(f'data_dir = "{self.data}"\ntls = false\nmdns = false\nscanner_autodetect = false\n'
                               'kdf_time_cost = 1\nkdf_memory_kib = 8\nlog_level = "warning"\n'
                               'login_attempts = 1000\n')
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = directory / "hub.log"
        self.forked = forked
        self.proc: subprocess.Popen | None = None
        self.pid: int | None = None
        self.zygote: subprocess.Popen | None = None
        self.launched_at = 0.0

    @property
    def db_path(self) -> Path:
        return self.data / "hub.db"

    def _env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOKO_HUB_") and k != "LD_PRELOAD"}
        env["SOKO_HUB_CONFIG"] = str(self.config)
        env.update(extra or {})
        return env

    def _argv(self) -> list[str]:
        return ["serve", "--host", "127.0.0.1", "--port", str(self.port)]

    def launch(self, extra_env: dict[str, str] | None = None) -> None:
        if self.forked and not extra_env:
            self._spawn()
            return
        with open(self.log, "ab") as log:
            self.launched_at = time.perf_counter()
            self.proc = subprocess.Popen([sys.executable, "-m", "hub", *self._argv()], stdout=log,
                                         stderr=subprocess.STDOUT, env=self._env(extra_env), cwd=_ROOT)
        self.pid = self.proc.pid

    def _ask(self, line: str) -> str:
        assert self.zygote is not None and self.zygote.stdin and self.zygote.stdout
        self.zygote.stdin.write(line + "\n")
        self.zygote.stdin.flush()
        answer = self.zygote.stdout.readline()
        if not answer:
            raise RuntimeError("the hub's fork server died")
        return answer.strip()

    def _spawn(self) -> None:
        if self.zygote is None:
            self.zygote = subprocess.Popen([sys.executable, "-c", "from hub.bench.crash import zygote; zygote()"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self._env(),
                                           cwd=_ROOT, text=True)
            if self._ask("ready") != "ready":
                raise RuntimeError("the hub's fork server did not start")
        self.launched_at = time.perf_counter()
        self.pid = int(self._ask(json.dumps({"log": str(self.log), "argv": self._argv()})))

    def alive(self) -> bool:
        if self.pid is None:
            return False
        if self.proc is not None:
            return self.proc.poll() is None
        try:  # a forked child is the fork server's to reap: dead is gone or a zombie
            return Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False

    def _reap(self, timeout: float) -> None:
        if self.proc is not None:
            self.proc.wait(timeout)
        elif self.pid is not None:
            self._ask(f"wait {self.pid}")

    def healthy(self) -> bool:
        """One health request on a fresh connection: 200 or not."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return s.recv(16).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def wait_ready(self) -> float:
        """Seconds from the launch to the first health 200."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self.alive():
                raise HubExitedError(f"the hub exited before serving: {self.tail()}")
            if self.healthy():
                return time.perf_counter() - self.launched_at
            time.sleep(POLL_S)
        raise RuntimeError(f"the hub did not answer in {START_TIMEOUT_S} s: {self.tail()}")

    def start(self) -> float:
        self.launch()
        return self.wait_ready()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` (SIGKILL, or the power cut's signal) and wait for the process to end."""
        if self.pid is None:
            return
        if self.alive():
            os.kill(self.pid, sig)
        try:
            self._reap(30)
        except subprocess.TimeoutExpired:  # a cut that did not fire: a plain kill
            os.kill(self.pid, signal.SIGKILL)
            self._reap(15)
        self.proc, self.pid = None, None

    def stop(self) -> None:
        """SIGTERM: a clean shutdown (SIGKILL after 10 s)."""
        if self.pid is None:
            return
        if self.alive():
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.kill()

    def close(self) -> None:
        self.kill()
        if self.zygote is not None:
            self.zygote.stdin.close()
            self.zygote.wait(15)
            self.zygote = None

    def tail(self) -> str:
        try:
            return self.log.read_bytes()[-3000:].decode(errors="replace")
        except OSError:
            return ""

    def query(self, sql: str, *params: Any) -> list[tuple]:
        """A read of the database of the stopped hub."""
        conn = sqlite3.connect(self.db_path, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def query_copy(self, sql: str, *params: Any) -> list[tuple]:
        """A read of a copy of the killed hub's database and WAL (not its shared-memory index):
        what the next start will recover, recovered in the copy so the hub still meets its hot
        WAL itself."""
        check = self.directory / "check"
        check.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            (check / f"hub.db{suffix}").unlink(missing_ok=True)
            source = self.data / f"hub.db{suffix}"
            if suffix in ("", "-wal", "-journal") and source.exists():
                shutil.copyfile(source, check / f"hub.db{suffix}")
        conn = sqlite3.connect(check / "hub.db", timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def prepare(directory: Path) -> tuple[str, str, str]:
    """The demo store with its catalogue; (manager's password, cashier's PIN, admin's password)."""
    from hub.auth.passwords import SecretHasher
    from hub.setup import DEMO_STORE, create_database, load_demo_catalogue

    data = directory / "var"
    data.mkdir(parents=True, exist_ok=True)
    store = create_database(data / "hub.db", store_name=DEMO_STORE["name"], store_code=DEMO_STORE["code"],
                            timezone=DEMO_STORE["timezone"], hasher=SecretHasher(1, 8), demo=True)
    load_demo_catalogue(data / "hub.db")
    creds = {u: (pw, pin) for u, _role, pw, pin in store.credentials}
    return creds["manager"][0], creds[CASHIER][1], creds["admin"][0]


class TillWorker:
    """One reference till selling in its own thread, recording what the hub acknowledged."""

    def __init__(self, till: Any, direct: bool, rng: random.Random, pace_s: float) -> None:
        self.till = till
        self.direct = direct
        self.rng = rng
        self.pace_s = pace_s
        self.codes: list[str] = []
        self.acknowledged: set[str] = set()
        self.seen_seq = 0
        self.refused: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f"crash-till-{till.device_id[:8]}", daemon=True)

    def record_acked(self) -> None:
        store = self.till.store
        with store._lock:  # the till's own connection: one lock, short calls
            rows = store._conn.execute(
                "SELECT device_seq, type, json_extract(payload, '$.id') FROM outbox"
                " WHERE acked_at IS NOT NULL AND device_seq > ? ORDER BY device_seq", (self.seen_seq,)).fetchall()
        for seq, kind, sale_id in rows:
            if seq != self.seen_seq + 1:  # acknowledgements are contiguous from the oldest
                break
            self.seen_seq = seq
            if kind == "sale":
                self.acknowledged.add(sale_id)

    def deliver(self) -> None:
        from reftill.http import HubRefusedError, HubUnreachableError

        try:
            if self.direct:
                self.till.post_sales_directly()
            else:
                self.till.sync.upload()
        except HubUnreachableError:
            time.sleep(0.02)
        except HubRefusedError as err:
            if err.status >= 500 or err.status in (401, 403, 409, 410, 422):
                self.refused.append(str(err)[:300])
            time.sleep(0.02)
        finally:
            self.record_acked()

    def run(self) -> None:
        while not self.stop.is_set():
            if self.till.store.unacked()[0] < BACKLOG:
                basket = [(self.rng.choice(self.codes), None) for _ in range(self.rng.randint(1, 3))]
                self.till.sell(basket, method=self.rng.choice(["cash", "card"]))
            self.deliver()
            if self.pace_s:
                time.sleep(self.pace_s)

    def finish(self, attempts: int = 20) -> None:
        for _ in range(attempts):
            self.deliver()
            if not self.till.store.unacked()[0]:
                return
            time.sleep(0.2)


def pair_tills(hub: HubRunner, count: int) -> None:
    """Pair `count` reference tills in the stopped hub's database (a demo store pairs without
    license seats, as the sale bench's tills do) and give each its till database."""
    from hub.db.audit import Actor
    from hub.db.connection import connect, transaction
    from hub.devices import service as devices
    from reftill.store import LocalStore

    conn = connect(hub.db_path)
    try:
        admin = conn.execute("SELECT id, username FROM users WHERE username = 'admin'").fetchone()
        manager = Actor(user_id=admin["id"], username=admin["username"])
        for n in range(count):
            with transaction(conn):
                code = devices.normalise_code(devices.create_pairing_code(conn, manager)["code"])
                got = devices.pair(conn, code, name=f"Crash till {n + 1}", platform="reftill",
                                   app_version="reftill-1", serial=None, address="127.0.0.1", request_id=None,
                                   demo_seatless=True)
            store = LocalStore(hub.directory / f"till-{n + 1}" / "till.db")
            try:
                with store.transaction() as tconn:
                    for key, value in {"hub_url": hub.url, "key_pin": None, "device_id": got["device_id"],
                                       "device_token": got["device_token"], "device_name": got["name"]}.items():
                        store.set(key, value, tconn)
            finally:
                store.close()
    finally:
        conn.close()


def _open_tills(hub: HubRunner, cashier_pin: str, count: int, seed: int, pace_s: float) -> list[TillWorker]:
    """The paired tills, each with its catalogue, the cashier signed in and a shift open (and
    its opening acknowledged), ready to sell."""
    from reftill.till import Till

    workers = []
    for n in range(count):
        till = Till(hub.directory / f"till-{n + 1}")
        till.sync.pull()
        if till.login(CASHIER, cashier_pin) != "online":
            raise RuntimeError("the cashier could not sign in at the hub")
        till.open_shift({"USD": 5000})
        worker = TillWorker(till, direct=(n == count - 1 and count > 1), rng=random.Random(seed + n), pace_s=pace_s)
        worker.codes = _sellable(till)
        worker.finish()  # the shift's opening reaches the hub before the first kill
        workers.append(worker)
    return workers


def _sellable(till: Any) -> list[str]:
    codes = [p["sku"] for p in till.store.rows("product")
             if p.get("active", True) and not p.get("archived_at") and p.get("sku")
             and ((p.get("effective_prices") or {}).get("USD") or 0) > 0]
    if not codes:
        raise RuntimeError("the till has no product priced in USD")
    return codes[:200]


def verify(hub: HubRunner, workers: list[TillWorker], result: Result) -> None:
    """The end-of-run oracle, on the database of the stopped hub."""
    from hub.db import audit
    from hub.db.connection import connect
    from hub.inventory import ledger

    made = [s["id"] for w in workers for s in w.till.sales()]
    acknowledged = set().union(*(w.acknowledged for w in workers))
    held = Counter(r[0] for r in hub.query("SELECT id FROM sales"))
    result.made, result.acknowledged, result.held = len(made), len(acknowledged), sum(held.values())
    result.lost = sorted(set(made) - set(held))
    result.doubled = sorted(s for s, n in held.items() if n > 1)
    result.foreign = sorted(set(held) - set(made))
    result.integrity = [r[0] for r in hub.query("PRAGMA integrity_check") if r[0] != "ok"]
    conn = connect(hub.db_path, readonly=True)
    try:
        result.ledger_differences = len(ledger.check(conn))
        moved = dict(conn.execute("SELECT source_id, count(*) FROM stock_movements WHERE kind = 'sale'"
                                  " GROUP BY source_id").fetchall())
        lines = dict(conn.execute("SELECT l.sale_id, count(*) FROM sale_lines l JOIN products p"
                                  " ON p.id = l.product_id WHERE p.stock_tracked = 1 GROUP BY l.sale_id").fetchall())
        result.stock_moves_ok = moved == lines
        report = audit.verify_chain(conn)
        result.audit_ok, result.audit_entries, result.audit_reason = report.ok, report.entries, report.reason or ""
    finally:
        conn.close()
    result.resend_asked = sum(w.till.sync.counts["sequence_gaps"] + w.till.sync.counts["new_epochs"]
                              for w in workers)
    result.refused = [r for w in workers for r in w.refused]


def measure(kills: int, tills: int = 3, seed: int = 1, max_delay_s: float = 0.4, pace_s: float = 0.01,
            power_cut: Any = None, forked: bool = True, directory: Path | None = None,
            progress: Callable[[str], None] | None = None) -> Result:
    """Run the loop for `kills` rounds; `power_cut` (a hub.bench.powercut.Shim) cuts the power
    instead of sending SIGKILL."""
    rng = random.Random(seed)
    result = Result(kills=kills, tills=tills, max_delay_s=max_delay_s, load_average=os.getloadavg()[0],
                    mode="power cut (unsynced writes dropped)" if power_cut else "SIGKILL")
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="soko-bench-crash-") as scratch:
        where = directory or Path(scratch)
        _, cashier_pin, _ = prepare(where)
        hub = HubRunner(where, forked=forked and not power_cut)
        result.forked = hub.forked
        pair_tills(hub, tills)
        cut_log = where / "powercut.log"
        workers: list[TillWorker] = []
        try:
            hub.start()
            workers = _open_tills(hub, cashier_pin, tills, seed, pace_s)
            hub.stop()
            for w in workers:
                w.thread.start()
            for n in range(kills):
                # Half the power cuts come at the Nth write to the database files (so at every
                # step of a commit or a checkpoint, start-up included), the rest by signal.
                after = rng.randint(1, CUT_AFTER_WRITES) if power_cut and rng.random() < 0.5 else 0
                hub.launch(power_cut.env(hub.db_path, after=after, log=cut_log) if power_cut else None)
                early = rng.random() < EARLY_KILL_SHARE
                if early:
                    time.sleep(rng.uniform(0.05, 0.5))
                    result.early_kills += 1
                else:
                    try:
                        result.start_s.append(hub.wait_ready())
                    except HubExitedError:
                        if not after:
                            raise
                    time.sleep(rng.uniform(0, max_delay_s))
                result.alive_s.append(time.perf_counter() - hub.launched_at)
                hub.kill(power_cut.signal if power_cut else signal.SIGKILL)
                acknowledged = set().union(*(w.acknowledged for w in workers))
                held = {r[0] for r in hub.query_copy("SELECT id FROM sales")}
                result.lost_between_kills += sorted(acknowledged - held - set(result.lost_between_kills))
                if progress and (n + 1) % max(1, kills // 20) == 0:
                    progress(f"{n + 1}/{kills} kills, {len(acknowledged)} sales acknowledged, "
                             f"{len(result.lost_between_kills)} lost")
            for w in workers:
                w.stop.set()
            for w in workers:
                w.thread.join(30)
            result.acknowledged_before_kills = len(set().union(*(w.acknowledged for w in workers)))
            result.start_s.append(hub.start())
            for w in workers:
                w.finish()
            hub.stop()
            verify(hub, workers, result)
            if power_cut and cut_log.exists():
                said = cut_log.read_text().splitlines()
                result.cuts = len(said)
                result.writes_undone = sum(int(line.split(", ")[1].split()[0]) for line in said)
        finally:
            for w in workers:
                w.stop.set()
            hub.close()
            for w in workers:
                w.thread.join(5)
                w.till.close()
    result.wall_s = time.perf_counter() - began
    return result


def rows(result: Result) -> list[tuple[str, str, str, str, str]]:
    starts = result.start_s or [0.0]
    return [
        ("kills (of them 0-0.5 s after the launch)", f"{result.kills} ({result.early_kills})", "-", "-", "-"),
        ("start to first health 200, median / p99", f"{statistics.median(starts):.2f} / "
         f"{percentile(starts, 0.99):.2f} s", "-", "-", "-"),
        ("sales made / acknowledged during the kills", f"{result.made} / {result.acknowledged_before_kills}",
         "-", "-", "-"),
        ("acknowledged sales lost (after a kill, at the end)",
         f"{len(result.lost_between_kills)}, {len(result.lost)}", "-", "-", "0"),
        ("sales held twice", f"{len(result.doubled)}", "-", "-", "0"),
        ("integrity_check", "ok" if not result.integrity else "; ".join(result.integrity[:3]), "-", "-", "ok"),
        ("stock ledger differences", f"{result.ledger_differences}", "-", "-", "0"),
        ("audit chain", f"{'verifies' if result.audit_ok else 'BROKEN'} ({result.audit_entries} entries)",
         "-", "-", "verifies"),
        ("resends asked of the tills", f"{result.resend_asked}", "-", "-", "0"),
    ] + ([("power cuts made (unsynced writes undone)", f"{result.cuts} ({result.writes_undone})", "-", "-",
           f"{result.kills}")] if result.mode != "SIGKILL" else [])


def summary(result: Result) -> str:
    return (f"{result.kills} rounds of {result.mode}: `python -m hub serve` on 127.0.0.1 (plain HTTP) started, "
            f"{'forked from a process that had imported the hub, ' if result.forked else ''}"
            f"{result.tills} reference tills selling baskets of 1-3 items and uploading them (till sync, one "
            f"till with POST /api/v1/sales), the hub killed a random 0-{result.max_delay_s:g} s after its first "
            f"health answer ({result.early_kills} rounds 0-0.5 s after the launch instead, maybe before it serves), every acknowledged sale looked for after "
            f"each kill; then a last start, the tills' final upload, and the checks. "
            f"{result.wall_s:.0f} s in all; load average {result.load_average:.1f} when it began. "
            + ("All checks passed." if result.ok else "FAILED: " + "; ".join(result.problems())))


def zygote() -> None:
    """The fork server (see HubRunner): import the hub, then fork a `serve` per request line
    ({"log": path, "argv": [...]}, answered with the child's pid) and reap one on `wait <pid>`."""
    import hub.cli
    from hub.server import build_server
    from hub.settings import Settings

    with tempfile.TemporaryDirectory(prefix="soko-bench-zygote-") as scratch:
        # One app built and dropped imports every feature's module, as a start would (building
        # it opens nothing and starts no thread: that happens when it serves).
        build_server(Settings(data_dir=scratch, tls=False, mdns=False, scanner_autodetect=False))
    if threading.active_count() != 1:
        raise RuntimeError("the fork server must not have threads")
    for line in sys.stdin:
        line = line.strip()
        if line == "ready":
            answer = "ready"
        elif line.startswith("wait "):
            os.waitpid(int(line.split()[1]), 0)
            answer = "done"
        else:
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    random.seed()
                    fd = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                    os.dup2(fd, 1)
                    os.dup2(fd, 2)
                    null = os.open(os.devnull, os.O_RDONLY)
                    os.dup2(null, 0)
                    hub.cli.main(request["argv"], prog_name="soko-hub")
                    code = 0
                except SystemExit as end:
                    code = end.code if isinstance(end.code, int) else 1
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            answer = str(pid)
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()

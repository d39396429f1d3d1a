"""Many reference tills selling at once against one hub (`soko-hub till-sim`).

Each till runs in its own thread: it pairs (with a code given, or one made with a manager's
sign-in), loads the snapshot, signs its cashier in (online, or offline when the hub does not
answer), opens a shift and sells random baskets from its catalogue until the time is up,
uploading every few sales and pulling changes between them; then it closes the shift, uploads
everything, compares the shift digest and reports its status. Nothing is faked: it is the same
client a till would be.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reftill.http import HubClient, HubRefusedError, HubUnreachableError
from reftill.sync import SequenceError
from reftill.till import Till

UPLOAD_EVERY_S = 1.0  # a till uploads at most this often while selling
MAX_BASKET = 4


@dataclass
class TillReport:
    name: str
    device_id: str | None = None
    sales: int = 0
    sale_ids: list[str] = field(default_factory=list)
    facts: int = 0
    acked: int = 0
    unacked: int = 0
    duplicates: int = 0
    quarantined: int = 0
    resent: int = 0
    digest_match: bool | None = None
    login: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class SimConfig:
    hub: str
    cashier: str
    cashier_pin: str
    tills: int = 2
    seconds: float = 10.0
    directory: Path = Path("tills")
    key_pin: str | None = None
    codes: list[str] = field(default_factory=list)
    manager: str | None = None
    manager_password: str | None = None
    currency: str = "USD"
    seed: int | None = None
    sales_per_second: float = 0.0  # per till; 0: as fast as it can


def pairing_codes(config: SimConfig, needed: int) -> list[str]:
    """The codes given, then codes made as the manager for the rest."""
    codes = list(config.codes[:needed])
    if len(codes) < needed:
        if not (config.manager and config.manager_password):
            raise ValueError(f"{needed - len(codes)} more pairing codes are needed: give --code for each till, "
                             "or --manager and --manager-password to make them")
        client = HubClient(config.hub, config.key_pin)
        try:
            _, session = client.call("POST", "/api/v1/auth/login", json_body={
                "username": config.manager, "password": config.manager_password})
            client.bearer = session["access_token"]
            for _ in range(needed - len(codes)):
                codes.append(client.call("POST", "/api/v1/devices/pairing-codes")[1]["code"])
        finally:
            client.close()
    return codes


def open_tills(config: SimConfig) -> list[Till]:
    """The simulator's tills: those already paired in `directory` (till-1, till-2, ...), and new ones."""
    paired, fresh = [], []
    for i in range(1, config.tills + 1):
        where = config.directory / f"till-{i}"
        (paired if (where / "till.db").exists() else fresh).append(where)
    tills = [Till(where) for where in paired]
    for where, code in zip(fresh, pairing_codes(config, len(fresh))):
        tills.append(Till.pair(where, config.hub, code, name=f"Sim {where.name}", key_pin=config.key_pin))
    return tills


def _sellable(till: Till, currency: str) -> list[str]:
    codes = []
    for product in till.store.rows("product"):
        if not product.get("active", True) or product.get("archived_at"):
            continue
        if not ((product.get("effective_prices") or product.get("prices") or {}).get(currency) or 0) > 0:
            continue
        code = next((b["code"] for b in product.get("barcodes") or [] if (b.get("pack_quantity") or 1000) == 1000),
                    product.get("sku"))
        if code:
            codes.append(code)
    return codes


def run_till(till: Till, config: SimConfig, report: TillReport, start: threading.Barrier,
             rng: random.Random) -> None:
    """One till's session; what happened goes into `report`. The tills start selling together,
    once each has its catalogue and its cashier (`start`)."""
    report.device_id = till.device_id
    try:
        till.sync.pull()
    except (HubUnreachableError, HubRefusedError) as err:
        report.errors.append(f"pull: {err}")
    report.login = till.login(config.cashier, config.cashier_pin)
    codes = _sellable(till, config.currency)
    if not codes:
        raise RuntimeError(f"{till.store.get('device_name')} has no product priced in {config.currency}")
    till.open_shift({config.currency: 10_000})
    start.wait()
    deadline = time.monotonic() + config.seconds
    last_upload = time.monotonic()
    while time.monotonic() < deadline:
        basket = [(rng.choice(codes), None) for _ in range(rng.randint(1, MAX_BASKET))]
        method = rng.choice(["cash", "cash", "card", "mobile_money"])
        sale = till.sell(basket, currency=config.currency, method=method)
        report.sales += 1
        report.sale_ids.append(sale["id"])
        if time.monotonic() - last_upload >= UPLOAD_EVERY_S:
            last_upload = time.monotonic()
            _try(report, "upload", till.sync.upload)
            _try(report, "pull", till.sync.pull)
        if config.sales_per_second:
            time.sleep(1 / config.sales_per_second)
    shift_id = till.shift_id
    till.close_shift()
    finish(till, report, shift_id)


def finish(till: Till, report: TillReport, shift_id: str | None, attempts: int = 5) -> None:
    """Upload everything, compare the shift's digest, report the status; a few tries each."""
    for _ in range(attempts):
        if _try(report, "upload", till.sync.upload) is not None and not till.store.unacked()[0]:
            break
        time.sleep(0.5)
    if shift_id is not None:
        answer = _try(report, "digest", lambda: till.sync.shift_digest(shift_id))
        if answer is not None:
            report.digest_match = bool(answer.get("match"))
            if not answer.get("match"):
                _try(report, "upload", till.sync.upload)
    _try(report, "status", till.sync.report_status)
    report.facts = till.store.last_seq()
    report.unacked = till.store.unacked()[0]
    counts = till.sync.counts
    report.acked, report.duplicates = counts["acked"], counts["duplicates"]
    report.quarantined, report.resent = counts["quarantined"], counts["resent"]


def _try(report: TillReport, what: str, call) -> Any:
    try:
        return call()
    except (HubUnreachableError, HubRefusedError, SequenceError) as err:
        report.errors.append(f"{what}: {err}")
        return None


def simulate(config: SimConfig) -> list[TillReport]:
    """Run the tills for `config.seconds`; a report per till."""
    config.directory.mkdir(parents=True, exist_ok=True)
    tills = open_tills(config)
    reports = [TillReport(name=t.store.get("device_name")) for t in tills]
    seed = config.seed if config.seed is not None else random.randrange(2**32)
    start = threading.Barrier(len(tills))

    def work(i: int) -> None:
        try:
            run_till(tills[i], config, reports[i], start, random.Random(seed + i))
        except Exception as err:  # a till's crash is reported, not hidden; the others go on
            start.abort()
            reports[i].errors.append(f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=work, args=(i,), name=f"till-sim-{i}") for i in range(len(tills))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for t in tills:
        t.close()
    return reports


def summary(reports: list[TillReport]) -> str:
    lines = [f"{'till':<14} {'sales':>6} {'facts':>6} {'acked':>6} {'unacked':>8} {'dup':>5} {'quar':>5} "
             f"{'digest':>7} {'errors':>6}"]
    for r in reports:
        digest = "-" if r.digest_match is None else ("ok" if r.digest_match else "DIFF")
        lines.append(f"{r.name:<14} {r.sales:>6} {r.facts:>6} {r.acked:>6} {r.unacked:>8} {r.duplicates:>5} "
                     f"{r.quarantined:>5} {digest:>7} {len(r.errors):>6}")
    lines.append(f"{'total':<14} {sum(r.sales for r in reports):>6} {sum(r.facts for r in reports):>6} "
                 f"{sum(r.acked for r in reports):>6} {sum(r.unacked for r in reports):>8} "
                 f"{sum(r.duplicates for r in reports):>5} {sum(r.quarantined for r in reports):>5} "
                 f"{'':>7} {sum(len(r.errors) for r in reports):>6}")
    for r in reports:
        lines += [f"{r.name}: {e}" for e in r.errors[:5]]
    return "\n".join(lines)

"""`soko-hub bench all`: every bench in a quick mode, and ONE table in the shape of DESIGN.md
section 9 (what, target, the hub's figure, the reference in the same run, their ratio, met or
missed by how much). Each bench keeps its own command for its full run; the quick modes here are
shorter (fewer runs, seconds, kills) so the whole table takes about ten minutes on a 2-core
machine. Reports over two years of history only with `reports_history` (about 12 minutes to
generate); without it they run over a quarter's history.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable


@dataclass
class Target:
    what: str
    target: str  # as DESIGN.md words it
    hub: float | None  # None: the bench did not run, or failed
    unit: str  # "ms", "s", "MiB", "/s", "" (a count)
    reference: float | None = None
    reference_what: str = ""
    limit: float | None = None  # the target's number, in `unit`
    at_least: bool = False  # the hub must reach `limit` (or `limit` x the reference with `share`)
    share: bool = False  # the limit is a share of the reference (hub / reference >= limit)
    note: str = ""

    def ratio(self) -> float | None:
        if self.hub is None or not self.reference:
            return None
        return self.hub / self.reference

    def verdict(self) -> str:
        if self.hub is None:
            return self.note or "not run"
        if self.limit is None:
            return self.note or "-"
        value = self.ratio() if self.share else self.hub
        if value is None:
            return "-"
        if (value >= self.limit) if self.at_least else (value <= self.limit):
            return "met"
        gap = abs(value - self.limit)
        unit = "" if self.share else f" {self.unit}".rstrip()
        pct = f" ({gap / self.limit:.0%})" if self.limit else ""
        return f"missed by {_num(gap, '' if self.share else self.unit)}{unit}{pct}"


def _num(value: float, unit: str) -> str:
    if unit in ("ms",) or abs(value) >= 100:
        return f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"
    if unit in ("", "/s") and float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"


def _fig(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{_num(value, unit)} {unit}".strip() if unit != "/s" else f"{_num(value, unit)}/s"


@dataclass
class Result:
    targets: list[Target] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # bench: error
    seconds: dict[str, float] = field(default_factory=dict)  # bench: wall time
    checks_ok: bool = True  # the fault benches' oracles (crash loop, store day)
    load_average: float = 0.0  # when it began


# -- the benches, each in its quick mode --------------------------------------------------------------

SD_CARD_FSYNC_MS = 8.0  # a small synchronous write on a class-10 card: a few to tens of ms

def _sales(quick: dict[str, Any]) -> list[Target]:
    from hub.bench import sales

    r = sales.measure(products=2000, tills=30, seconds=quick["seconds"], rate=sales.TARGET_RATE, seed=263)
    return [
        Target("sale commit through the API (1 + 15 lines), p99 at 150 sales/s", "p99 <= 10 ms",
               r.load.pct(0.99), "ms", r.reference.pct(0.99), "raw SQLite commit of the same rows",
               limit=sales.TARGET_P99_MS),
        Target("sustained sale rate, 30-till burst", ">= 60% of raw", r.burst.rate, "/s", r.reference.rate,
               "raw SQLite commit of the same rows", limit=sales.TARGET_SHARE, at_least=True, share=True),
        _sd_card_burst(quick),
    ]


def _sd_card_burst(quick: dict[str, Any]) -> Target:
    """The burst again with every fsync of hub and reference SD_CARD_FSYNC_MS slower (the slow-fsync
    shim): group commit is for a Pi's card, whose fsync this machine's disk does not have."""
    from hub.bench import sales
    from hub.bench.powercut import ShimError

    what = f"sustained sale rate, 30-till burst, every fsync +{SD_CARD_FSYNC_MS:g} ms (an SD card's, emulated)"
    try:
        r = sales.measure(products=2000, tills=30, seconds=quick["seconds"], rate=sales.TARGET_RATE, seed=263,
                          fsync_ms=SD_CARD_FSYNC_MS)
    except ShimError as err:  # no C compiler here: said, not measured
        return Target(what, ">= 60% of raw", None, "/s", note=f"not run: {err}"[:200])
    return Target(what, ">= 60% of raw", r.burst.rate, "/s", r.reference.rate,
                  "raw SQLite commit of the same rows, the same fsync", limit=sales.TARGET_SHARE, at_least=True,
                  share=True)


def _lookup(quick: dict[str, Any]) -> list[Target]:
    from hub.bench import lookup

    r = lookup.measure(quick["products"], quick["seconds"], 200, 263, rounds=1)
    slow = next(key for key, _label, _hold, targeted in lookup.PHASES if targeted)
    return [Target("barcode lookup p99 while commits are slow", "p99 <= 5 ms", r.hub[slow].pct(0.99), "ms",
                   r.hub["idle"].pct(0.99), "lookups with no write load", limit=lookup.TARGET_P99_MS)]


def _sync(quick: dict[str, Any]) -> list[Target]:
    from hub.bench import sync

    r = sync.measure(quick["products"], 1, 263)
    return [
        Target(f"catalogue full sync to a till, {quick['products']:,} products", "<= 1 s end to end",
               statistics.median(r.full_s), "s", statistics.median(r.full_ref_s), "raw decode + insert",
               limit=sync.FULL_TARGET_S),
        Target(f"delta sync of {r.delta_changes} changes", "<= 100 ms", statistics.median(r.delta_s) * 1000, "ms",
               statistics.median(r.delta_ref_s) * 1000, "raw decode + insert", limit=sync.DELTA_TARGET_S * 1000),
    ]


def _startup(quick: dict[str, Any]) -> list[Target]:
    from hub.bench import startup

    r = startup.measure(quick["runs"])
    return [Target("cold start to first /api/v1/health 200 (median)", "<= 0.8 s",
                   statistics.median(x.seconds for x in r.runs["hub"]), "s",
                   statistics.median(x.seconds for x in r.runs["bare"]), "a bare Litestar app", limit=0.8)]


def _soak(quick: dict[str, Any]) -> list[Target]:
    from hub.bench import soak

    r = soak.measure(quick["soak_s"])
    short = f" (a {r.seconds:g} s soak; the hour by `bench soak --long`)"
    return [
        Target("RSS after a soak" + short, "<= 80 MB", r.hub.last_mib, "MiB", r.bare.last_mib, "a bare Litestar app",
               limit=soak.TARGET_RSS_MIB),
        Target("RSS growth, second half of the soak, per hour" + short, "<= 2 MB/h",
               r.hub.growth_mib_per_min() * 60, "MiB/h", r.bare.growth_mib_per_min() * 60 or None,
               "a bare Litestar app", limit=2.0 if r.seconds >= LONG_SOAK_S else None,
               note="" if r.seconds >= LONG_SOAK_S else "not judged: start-up growth dominates a short soak"),
    ]


def _receipt(quick: dict[str, Any]) -> list[Target]:
    from hub.bench import receipt

    r = receipt.measure(quick["receipts"], 2000, 263)
    return [Target("receipt path: sale committed -> last byte at the printer, p99", "p99 <= 30 ms",
                   r.after_commit.pct(0.99), "ms", r.reference.pct(0.99), "pre-rendered bytes over a raw socket",
                   limit=receipt.TARGET_P99_MS)]


def _mdns(quick: dict[str, Any]) -> list[Target]:
    from hub.bench import mdns

    r = mdns.measure(quick["runs"])
    return [Target("mDNS: a fresh till resolves a just-started hub (median)", "<= 1.5 s", statistics.median(r.hub),
                   "s", statistics.median(r.dummy), "python-zeroconf dummy service", limit=1.5)]


def _crash(quick: dict[str, Any]) -> list[Target]:
    from hub.bench import crash

    r = crash.measure(quick["kills"], tills=3, seed=1)
    quick["checks"].append(r.ok)
    bad = len(r.lost) + len(r.lost_between_kills) + len(r.doubled)
    return [
        Target(f"kill -9 during load: acknowledged sales lost or doubled, {quick['kills']} kills "
               "(1,000 by `bench crash --kills 1000`)", "0 in 1,000 kills", float(bad), "", limit=0),
        Target("kill -9 during load: integrity_check, ledger, audit chain", "ok",
               0.0 if r.ok else float(len(r.problems())), "", limit=0,
               note="" if r.ok else "; ".join(r.problems())[:200]),
    ]


def _reports(quick: dict[str, Any]) -> list[Target]:
    from hub.bench import reports

    days, lines = (730, 1_500_000) if quick["reports_history"] else quick["history"]
    with tempfile.TemporaryDirectory(prefix="soko-bench-reports-") as scratch:
        r = reports.measure(Path(scratch) / "hub.db", generate_days=days, generate_lines=lines, progress=lambda _m: None)
    (name, label), worst = max(r["reports"].items(), key=lambda kv: kv[1])
    history = "two years" if quick["reports_history"] else f"{days} days (two years by --reports-history)"
    return [Target(f"slowest report over {history}, {r['held']['sale_lines']:,} sale lines: {name}, {label}",
                   "<= 1 s", worst, "s", r["periods"][label]["reference"], "a COUNT of the same lines",
                   limit=reports.TARGET_S)]


def _storeday(quick: dict[str, Any]) -> list[Target]:
    from hub.bench import storeday

    r = storeday.measure(tills=quick["day_tills"], seconds=quick["day_s"])
    quick["checks"].append(r.ok)
    return [Target(f"store day, {quick['day_tills']} tills, {quick['day_s']:g} s: sales not held once at the hub and HQ, and "
                   "other failed checks", "0", float(len(r.problems())), "", limit=0,
                   note="" if r.ok else "; ".join(r.problems())[:200])]


LONG_SOAK_S = 600  # a soak shorter than this is mostly the start-up's growth: its rate per hour is not judged


BENCHES: dict[str, Callable[[dict[str, Any]], list[Target]]] = {
    "sales": _sales, "lookup": _lookup, "sync": _sync, "startup": _startup, "soak": _soak,
    "receipt": _receipt, "mdns": _mdns, "crash": _crash, "reports": _reports, "storeday": _storeday,
}
QUICK = {"seconds": 3.0, "products": 50_000, "runs": 3, "soak_s": 30.0, "receipts": 150, "kills": 30,
         "day_s": 40.0, "day_tills": 30, "history": (92, 100_000), "reports_history": False}
TINY = {"seconds": 0.5, "products": 500, "runs": 1, "soak_s": 5.0, "receipts": 10, "kills": 2,
        "day_s": 12.0, "day_tills": 4, "history": (30, 5_000), "reports_history": False}  # for the test of the table's shape


def measure(only: list[str] | None = None, *, tiny: bool = False, reports_history: bool = False,
            progress: Callable[[str], None] | None = None) -> Result:
    """Each bench of `only` (default all) in its quick mode, one after another; a bench that fails
    is named in the table as not run, and the others still run."""
    say = progress or (lambda _m: None)
    quick = {**(TINY if tiny else QUICK), "checks": []}
    quick["reports_history"] = reports_history
    result = Result(load_average=os.getloadavg()[0])
    for name, run in BENCHES.items():
        if only and name not in only:
            continue
        say(f"bench {name} ...")
        began = time.perf_counter()
        try:
            result.targets += run(quick)
        except Exception as err:  # named in the table; the other benches still run
            result.failed.append(f"{name}: {type(err).__name__}: {err}"[:300])
            result.targets.append(Target(f"{name} (failed)", "-", None, "", note=f"failed: {type(err).__name__}"))
        result.seconds[name] = time.perf_counter() - began
        say(f"bench {name}: {result.seconds[name]:.0f} s")
    result.checks_ok = all(quick["checks"])
    return result


HEADER = "| what | target | hub | reference | ratio | met / missed by |"


def table(result: Result) -> str:
    lines = [HEADER, "| --- | --- | --- | --- | --- | --- |"]
    for t in result.targets:
        ratio = t.ratio()
        ref = f"{_fig(t.reference, t.unit)} ({t.reference_what})" if t.reference is not None else (
            t.reference_what or "-")
        lines.append(f"| {t.what} | {t.target} | {_fig(t.hub, t.unit)} | {ref} | "
                     f"{'-' if ratio is None else f'{ratio:.2f}'} | {t.verdict()} |")
    return "\n".join(lines)


def summary(result: Result) -> str:
    met = sum(t.verdict() == "met" for t in result.targets)
    missed = [t.what for t in result.targets if t.verdict().startswith("missed")]
    times = ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
    return (f"Every bench in its quick mode, one after another ({times}); each has its own command for the "
            f"full run; load average {result.load_average:.1f} when it began. Ratios are hub / reference. {met} of {len(result.targets)} targets met"
            + (f"; missed: {'; '.join(missed)}" if missed else "") + "."
            + (f" Failed to run: {'; '.join(result.failed)}." if result.failed else ""))

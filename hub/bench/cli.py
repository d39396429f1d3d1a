"""`soko-hub bench ...`: measured targets, appended to BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def appends_results(command: Any) -> Any:
    """The options every bench shares: where its table is appended (`--output`), or not (`--no-write`)."""
    command = click.option("--no-write", is_flag=True, help="Print only; do not append to the file.")(command)
    return click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("BENCHMARKS.md"),
                        show_default=True, help="Markdown file the results are appended to.")(command)


@click.group()
def bench() -> None:
    """Measure the hub against its targets, beside a reference run (see BENCHMARKS.md)."""


@bench.command()
@click.option("--runs", type=click.IntRange(1, 50), default=5, show_default=True, help="Starts of each app.")
@appends_results
def startup(runs: int, output: Path, no_write: bool) -> None:
    """Cold start to the first health 200, its CPU time and idle RSS, against a bare Litestar app."""
    from hub.bench import startup as measure_startup

    result = measure_startup.measure(runs)
    _show(measure_startup, result, f"Start-up and idle memory, {runs} runs", output, no_write)


@bench.command()
@click.option("--runs", type=click.IntRange(1, 50), default=5, show_default=True,
              help="Starts of the hub and of the reference service.")
@appends_results
def mdns(runs: int, output: Path, no_write: bool) -> None:
    """How long a fresh till-side resolver takes to find a just-started hub over mDNS, key pin
    checked (target <= 1.5 s), against a bare python-zeroconf service; on loopback only."""
    from hub.bench import mdns as measure_mdns

    result = measure_mdns.measure(runs)
    _show(measure_mdns, result, f"Finding the hub over mDNS, {runs} runs", output, no_write)


@bench.command("sync")
@click.option("--products", type=click.IntRange(100, 200_000), default=50_000, show_default=True,
              help="Generated products in the scratch store, all on the change feed.")
@click.option("--runs", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Measured runs of each (after one warm-up).")
@click.option("--seed", type=int, default=263, show_default=True, help="Seed of the generated catalogue.")
@appends_results
def sync_down(products: int, runs: int, seed: int, output: Path, no_write: bool) -> None:
    """A till's full sync (snapshot to a committed till database, target <= 1 s for 50,000
    products) and a delta of 500 changes (target <= 100 ms) over HTTPS, against the same decode
    and insert without the hub."""
    from hub.bench import sync as measure_sync

    result = measure_sync.measure(products, runs, seed)
    _show(measure_sync, result, f"Till sync down, {products} products", output, no_write)


@bench.command()
@click.option("--products", type=click.IntRange(100, 200_000), default=50_000, show_default=True,
              help="Generated products in the scratch store.")
@click.option("--seconds", type=click.FloatRange(0.5, 600), default=5.0, show_default=True,
              help="Length of each phase in each round (no write load, slow commits, nonstop commits).")
@click.option("--rounds", type=click.IntRange(1, 20), default=3, show_default=True,
              help="Times each phase runs, the phases taking turns, so bursts of other work fall on all alike.")
@click.option("--rate", type=click.IntRange(1, 5000), default=200, show_default=True,
              help="Lookups per second, sent at a constant rate (open loop).")
@click.option("--seed", type=int, default=263, show_default=True, help="Seed of the generated catalogue.")
@appends_results
def lookup(products: int, seconds: float, rounds: int, rate: int, seed: int, output: Path,
           no_write: bool) -> None:
    """Barcode lookup p50/p99 through the API: idle, while slow commits run (target p99 <= 5 ms)
    and while a writer commits nonstop, against the same lookup on raw sqlite3."""
    from hub.bench import lookup as measure_lookup

    result = measure_lookup.measure(products, seconds, rate, seed, rounds)
    _show(measure_lookup, result, f"Barcode lookup, {products} products", output, no_write)


@bench.command()
@click.option("--products", type=click.IntRange(100, 200_000), default=2_000, show_default=True,
              help="Generated products in the scratch store.")
@click.option("--tills", type=click.IntRange(1, 200), default=30, show_default=True,
              help="Paired tills selling at once.")
@click.option("--seconds", type=click.FloatRange(0.5, 600), default=10.0, show_default=True,
              help="Length of each phase (store load, burst).")
@click.option("--rate", type=click.IntRange(1, 5000), default=150, show_default=True,
              help="Sales per second of the store-load phase, sent at a constant rate (open loop).")
@click.option("--seed", type=int, default=263, show_default=True, help="Seed of the catalogue and baskets.")
@click.option("--fsync-ms", type=click.FloatRange(0, 100), default=0, show_default=True,
              help="Make every fsync of the hub and the reference this much slower (an SD card's, emulated "
                   "with an LD_PRELOAD shim; needs a C compiler).")
@appends_results
def sales(products: int, tills: int, seconds: float, rate: int, seed: int, fsync_ms: float, output: Path,
          no_write: bool) -> None:
    """Sale commits through the API (1 header + 15 lines): p50/p99/p999 at a store's load (target
    p99 <= 10 ms at 150 sales/s) and the sustained rate of a 30-till burst (target >= 60% of raw
    SQLite committing the same rows)."""
    from hub.bench import sales as measure_sales

    result = measure_sales.measure(products, tills, seconds, rate, seed, fsync_ms)
    title = f"Sale commits, {tills} tills" + (f", fsync +{fsync_ms:g} ms (SD card emulated)" if fsync_ms else "")
    _show(measure_sales, result, title, output, no_write)


@bench.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The history to measure: generated there first when the file does not exist "
                   "(default: a scratch file, removed after).")
@click.option("--days", type=click.IntRange(1, 1000), default=730, show_default=True, help="Days of history.")
@click.option("--lines", type=click.IntRange(1000, 5_000_000), default=1_500_000, show_default=True,
              help="Sale lines to generate, about.")
@appends_results
def reports(db_path: Path | None, days: int, lines: int, output: Path, no_write: bool) -> None:
    """Every report over two years of a busy store (target <= 1 s each, this month and 92 days)
    beside a COUNT of the same lines, and sale-commit latency while reports run."""
    import tempfile

    from hub.bench import reports as measure_reports

    with tempfile.TemporaryDirectory(prefix="soko-bench-reports-") as scratch:
        path = db_path or Path(scratch) / "hub.db"
        result = measure_reports.measure(path, generate_days=days, generate_lines=lines, progress=click.echo)
    _show(measure_reports, result, f"Reports over {result['held']['sale_lines']:,} sale lines", output, no_write)


@bench.command()
@click.option("--sales", type=click.IntRange(10, 10_000), default=300, show_default=True,
              help="Sales measured (after a warm-up), one at a time.")
@click.option("--products", type=click.IntRange(100, 200_000), default=2_000, show_default=True,
              help="Generated products in the scratch store.")
@click.option("--seed", type=int, default=263, show_default=True, help="Seed of the catalogue and baskets.")
@appends_results
def receipt(sales: int, products: int, seed: int, output: Path, no_write: bool) -> None:
    """A sale's receipt from its commit to the last byte at a network printer (a TCP listener on
    127.0.0.1; target p99 <= 30 ms), beside the same bytes pre-rendered over a raw socket."""
    from hub.bench import receipt as measure_receipt

    result = measure_receipt.measure(sales, products, seed)
    _show(measure_receipt, result, f"Receipt printing, {sales} sales", output, no_write)


@bench.command()
@click.option("--kills", type=click.IntRange(1, 100_000), default=200, show_default=True,
              envvar="SOKO_FAULT_KILLS", help="Rounds: start, sell, kill (1,000 for the long run).")
@click.option("--tills", type=click.IntRange(1, 30), default=3, show_default=True,
              help="Reference tills selling and uploading meanwhile.")
@click.option("--max-delay", type=click.FloatRange(0, 60), default=0.4, show_default=True,
              help="Longest time the hub serves before it is killed, in seconds.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the kill moments and baskets.")
@click.option("--cold", is_flag=True, help="Start each round with exec instead of a fork of an imported hub.")
@click.option("--power-cut", is_flag=True,
              help="Cut the power instead (an LD_PRELOAD shim built with cc drops every write not fsync'd); "
                   "each round then starts cold.")
@appends_results
def crash(kills: int, tills: int, max_delay: float, seed: int, cold: bool, power_cut: bool, output: Path,
          no_write: bool) -> None:
    """Kill the hub with SIGKILL (or cut its power) at random moments while reference tills sell,
    restart it, and check every acknowledged sale is held exactly once and the database checks
    clean. Exits 1 when a check fails."""
    import tempfile

    from hub.bench import crash as crash_loop

    shim = None
    if power_cut:
        from hub.bench import powercut

        with tempfile.TemporaryDirectory(prefix="soko-powercut-selftest-") as scratch:
            try:
                shim = powercut.ready(Path(scratch))
            except powercut.ShimError as err:
                raise click.ClickException(str(err)) from err
        click.echo(f"the power-cut shim passed its self-test ({shim.library})")
    result = crash_loop.measure(kills, tills=tills, seed=seed, max_delay_s=max_delay, forked=not cold,
                                power_cut=shim, progress=click.echo)
    title = f"{'Power cuts' if power_cut else 'Crash loop'}, {kills} {'cuts' if power_cut else 'kills'}"
    _show(crash_loop, result, title, output, no_write)
    if not result.ok:
        raise SystemExit(1)


@bench.command()
@click.option("--seconds", type=click.FloatRange(5, 86_400), default=60, show_default=True,
              help="Length of the soak (the short mode; see --long).")
@click.option("--long", "long_", is_flag=True, help="Soak for an hour (the target's length).")
@click.option("--rate", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="Sales per second over all the tills, sent at a constant rate (open loop).")
@click.option("--tills", type=click.IntRange(1, 200), default=4, show_default=True, help="Paired tills selling.")
@appends_results
def soak(seconds: float, long_: bool, rate: int, tills: int, output: Path, no_write: bool) -> None:
    """The hub's RSS while tills sell at a constant rate (target <= 80 MiB after an hour), beside
    a bare Litestar app answering as many requests."""
    from hub.bench import soak as measure_soak

    seconds = 3600.0 if long_ else seconds
    result = measure_soak.measure(seconds, rate=rate, tills=tills)
    _show(measure_soak, result, f"Memory after a {seconds:g} s soak", output, no_write)


@bench.command()
@click.option("--tills", type=click.IntRange(1, 200), default=30, show_default=True, help="Reference tills selling.")
@click.option("--seconds", type=click.FloatRange(10, 86_400), default=60, show_default=True,
              help="Length of the compressed day (the short mode; see --long).")
@click.option("--long", "long_", is_flag=True, help="A 15-minute day.")
@click.option("--rate", type=click.FloatRange(0.01, 50), default=0.3, show_default=True,
              help="Sales per second at each till, arriving at a constant rate (open loop).")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the baskets and arrivals.")
@appends_results
def storeday(tills: int, seconds: float, long_: bool, rate: float, seed: int, output: Path, no_write: bool) -> None:
    """A compressed store day: reference tills selling (shifts, voids, offline spells) while the
    manager runs reports, changes the catalogue and posts a stock take, and the link to a real HQ
    collector (PostgreSQL) goes down and up; then every sale must be held once at the hub and at
    HQ, stock equal the ledger, the audit chain verify and every till be caught up. Exits 1 when a
    check fails."""
    from hub.bench import storeday as day

    seconds = 900.0 if long_ else seconds
    result = day.measure(tills=tills, seconds=seconds, rate=rate, seed=seed, progress=click.echo)
    _show(day, result, f"Store day, {tills} tills, {seconds:g} s", output, no_write)
    if not result.ok:
        raise SystemExit(1)


@bench.command("all")
@click.option("--only", multiple=True, type=click.Choice(["sales", "lookup", "sync", "startup", "soak", "receipt",
                                                           "mdns", "crash", "reports", "storeday"]),
              help="Run only these benches (repeat the option); default: all.")
@click.option("--reports-history", is_flag=True,
              help="Reports over two years of history (about 12 more minutes) instead of 92 days.")
@click.option("--tiny", is_flag=True, hidden=True, help="Each bench at its smallest (the test of the table).")
@appends_results
def all_(only: tuple[str, ...], reports_history: bool, tiny: bool, output: Path, no_write: bool) -> None:
    """Every bench in a quick mode (about ten minutes), and one table in the shape of DESIGN.md
    section 9: what, target, the hub's figure, the reference run, their ratio, met or missed by how
    much. Exits 1 when a bench failed to run or a fault check failed."""
    from hub.bench import report, table

    result = table.measure(list(only) or None, tiny=tiny, reports_history=reports_history, progress=click.echo)
    body = table.summary(result) + "\n\n" + table.table(result)
    click.echo(body)
    if not no_write:
        report.append(output, "All targets (DESIGN.md section 9), quick modes", body)
        click.echo(f"appended to {output}")
    if result.failed or not result.checks_ok:
        raise SystemExit(1)


def _show(measured: Any, result: Any, title: str, output: Path, no_write: bool) -> None:
    """Print a bench's summary and table, and append them to `output` under `title` unless told not to."""
    from hub.bench import report

    body = measured.summary(result) + "\n\n" + report.table(measured.rows(result))
    click.echo(body)
    if not no_write:
        report.append(output, title, body)
        click.echo(f"appended to {output}")

"""`soko-hub bench ...`: measured targets, appended to BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def bench() -> None:
    """Measure the hub against its targets, beside a reference run (see BENCHMARKS.md)."""


@bench.command()
@click.option("--runs", type=click.IntRange(1, 50), default=5, show_default=True, help="Starts of each app.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("BENCHMARKS.md"),
              show_default=True, help="Markdown file the results are appended to.")
@click.option("--no-write", is_flag=True, help="Print only; do not append to the file.")
def startup(runs: int, output: Path, no_write: bool) -> None:
    """Cold start to the first health 200 and idle RSS, against a bare Litestar app."""
    from hub.bench import report, startup as measure_startup

    body = report.table(measure_startup.rows(measure_startup.measure(runs)))
    click.echo(body)
    if not no_write:
        report.append(output, f"Start-up and idle memory, {runs} runs", body)
        click.echo(f"appended to {output}")

"""Printing results and appending them to BENCHMARKS.md with the machine, commit and date."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             timeout=5, check=False)
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def table(rows: list[tuple[str, str, str, str, str]]) -> str:
    lines = ["| measure | hub | reference | ratio | target |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    return "\n".join(lines)


def append(path: Path, title: str, body: str) -> None:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    header = "" if path.exists() else "# Benchmarks\n\nAppended by `soko-hub bench`; ratios are hub / reference in the same run.\n"
    with path.open("a") as f:
        f.write(f"{header}\n## {title} ({stamp}, commit {commit()})\n\nMachine: {machine()}\n\n{body}\n")


def percentile(values: list[float], q: float) -> float:
    """The `q` quantile of `values` by rank (the value below which a share q of them lie); NaN
    for none. Every bench reports its latencies through this one definition."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

"""Run `soko-hub` in-process with click's CliRunner, on a data directory of real files."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from hub.cli import main
from tests.hubtest import FAST_KDF

ENV = {
    "SOKO_HUB_CONFIG": "/nonexistent/soko-hub-test.toml",  # never read the machine's own file
    "SOKO_HUB_KDF_TIME_COST": str(FAST_KDF["kdf_time_cost"]),
    "SOKO_HUB_KDF_MEMORY_KIB": str(FAST_KDF["kdf_memory_kib"]),
}


def soko_hub(data_dir: Path, *args: str, input: str | None = None) -> Result:
    """`soko-hub --data-dir DATA_DIR ARGS...`; the result has exit_code, stdout, stderr, output."""
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), *args], input=input, env=ENV)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a crash is never an acceptable way to fail
    return result

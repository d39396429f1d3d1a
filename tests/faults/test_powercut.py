"""Power cuts: the LD_PRELOAD shim (hub/bench/shim/powercut.c, built here with the C compiler)
drops every write to the database files not yet fsync'd and kills the process. It proves itself
first (a file written and fsync'd, then written again without: after the cut it holds the first
writes only; SQLite commits made with synchronous=OFF are lost, those with FULL kept), then the
crash loop's oracle runs through it: every sale the hub acknowledged survives every cut.
SOKO_FAULT_CUTS sets how many (default 16).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub.bench import crash, powercut

pytestmark = pytest.mark.faults

CUTS = int(os.environ.get("SOKO_FAULT_CUTS", "16"))


@pytest.fixture(scope="module")
def shim(tmp_path_factory) -> powercut.Shim:
    return powercut.Shim(powercut.build(tmp_path_factory.mktemp("shim")))


def test_the_shim_keeps_what_was_fsynced_and_drops_the_rest(shim, tmp_path):
    powercut.self_test(shim, tmp_path)
    reports = (tmp_path / "selftest.log").read_text().splitlines()
    assert len(reports) == 2 and all("4 undone" in line for line in reports), reports


def test_the_self_test_fails_without_a_working_shim(tmp_path):
    with pytest.raises(powercut.ShimError):
        powercut.self_test(powercut.Shim(Path(tmp_path / "missing.so")), tmp_path)


def test_the_self_test_fails_when_a_cut_keeps_unsynced_writes(tmp_path):
    """A cut that only kills (SIGKILL keeps the page cache) is no power cut: the self-test says so."""
    import signal

    with pytest.raises(powercut.ShimError, match="holds"):
        powercut.self_test(powercut.Shim(Path(tmp_path / "missing.so"), signal=signal.SIGKILL), tmp_path)


@pytest.mark.timeout(120 + 40 * CUTS)
def test_power_cuts_under_load_lose_no_acknowledged_sale(shim, tmp_path):
    powercut.self_test(shim, tmp_path)
    result = crash.measure(CUTS, tills=3, seed=int(os.environ.get("SOKO_FAULT_SEED", "5")), power_cut=shim,
                           directory=tmp_path / "loop")
    assert result.ok, crash.summary(result)
    # Nearly every round ends by the shim's cut (logged by the shim itself); a signal that lands
    # while the process is already on its way out is not logged as one, so a round may go
    # uncounted (seen once in a fresh-clone run: 15 of 16, every check passing).
    assert result.cuts >= CUTS - 2, crash.summary(result)
    assert result.writes_undone > 0  # some cut came with writes in flight, and they were dropped
    assert result.held == result.made and result.acknowledged == result.made

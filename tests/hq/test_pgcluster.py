"""The throwaway PostgreSQL cluster of the HQ tests: a cluster whose test process died without
tearing it down (killed by a suite's timeout) is stopped and removed by the next run, and a
live process's cluster is left alone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

import psycopg
import pytest

from tests.pgcluster import OWNER_FILE, PgCluster, find_bin_dir, reap_stale

pytestmark = pytest.mark.skipif(find_bin_dir() is None, reason="PostgreSQL is not installed")


@pytest.fixture
def root(monkeypatch):
    """A directory of its own for the clusters (readable by the postgres user, as /tmp is)."""
    path = tempfile.mkdtemp(prefix="soko-reap-")
    os.chmod(path, 0o755)
    monkeypatch.setattr("tempfile.tempdir", path)
    yield path
    reap_stale(path)  # whatever a failure left
    shutil.rmtree(path, ignore_errors=True)


def test_a_cluster_left_by_a_dead_test_process_is_stopped_and_removed(root):
    orphan = PgCluster().start()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    (orphan.dir / OWNER_FILE).write_text(dead)  # as if the process that started it was killed
    with psycopg.connect(orphan.dsn(), connect_timeout=5):
        pass  # it is running
    with PgCluster() as live:  # the next run: reaps the orphan, keeps its own
        assert not orphan.dir.exists()
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(orphan.dsn(), connect_timeout=3)
        assert reap_stale(root) == [] and live.dir.exists()
        with psycopg.connect(live.dsn(), connect_timeout=5):
            pass

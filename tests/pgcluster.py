"""The tests' PostgreSQL cluster: `pg_cluster`, one per test session (about a second to start),
from hub.bench.pgcluster (the store-day bench starts one too). Without PostgreSQL's binaries the
fixture skips with the reason (`apt-get install postgresql`, listed in tests/system-packages.txt)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.bench.pgcluster import OWNER_FILE, PgCluster, find_bin_dir, reap_stale

__all__ = ["OWNER_FILE", "PgCluster", "find_bin_dir", "pg_cluster", "reap_stale"]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One PostgreSQL cluster for the test session (skips when PostgreSQL is not installed)."""
    if find_bin_dir() is None:
        pytest.skip("PostgreSQL binaries are missing (apt-get install postgresql; tests/system-packages.txt)")
    with PgCluster() as cluster:
        yield cluster

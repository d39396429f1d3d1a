"""Test helpers: what the hub holds, read through its API and its own checks."""

from __future__ import annotations

from collections import Counter

from click.testing import CliRunner

from hub.cli import main


def hub_sales(hub, client=None) -> list[str]:
    """Every sale id the hub lists (all tills, all time), as often as it lists it."""
    manager = client or hub.as_user("manager")
    ids: list[str] = []
    after = None
    while True:
        params: dict = {"limit": 200}
        if after:
            params["after"] = after
        r = manager.get("/api/v1/sales", params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        ids += [s["id"] for s in page["items"]]
        after = page["next_after"]
        if not after:
            return ids


def exactly_once(held: list[str], made: list[str]) -> bool:
    counts = Counter(held)
    return all(counts[i] == 1 for i in made) and set(counts) >= set(made)


def stock_is_the_ledger(hub_or_dir) -> bool:
    """`soko-hub stock check` on the hub's database: every level equals its movements."""
    data_dir = getattr(getattr(hub_or_dir, "server", None), "settings", None)
    data_dir = data_dir.data_dir if data_dir is not None else str(hub_or_dir)
    result = CliRunner().invoke(main, ["--data-dir", data_dir, "stock", "check"])
    assert result.exit_code == 0, result.output
    return True

"""`soko-hub stock check` and `soko-hub stock rebuild` on a real store file."""

from __future__ import annotations

from hub.db.connection import connect, transaction
from hub.db.lock import InstanceLock
from tests.cli.runner import soko_hub
from tests.inventory.store import add_product, moved


def _stocked(settings):
    conn = connect(settings.db_path)
    try:
        bread, milk = add_product(conn, name="Bread"), add_product(conn, name="Milk")
        moved(conn, bread, "opening", 12000, unit_cost=90)
        moved(conn, bread, "sale", -2000)
        moved(conn, milk, "opening", 6000, unit_cost=120)
        sku = conn.execute("SELECT sku FROM products WHERE id = ?", (bread,)).fetchone()[0]
        return bread, milk, sku
    finally:
        conn.close()


def _tamper(settings, sql, *params):
    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            conn.execute(sql, params)
    finally:
        conn.close()


def test_check_passes_on_a_store_whose_levels_agree(settings, demo_store):
    _stocked(settings)
    result = soko_hub(settings.data_dir, "stock", "check")
    assert result.exit_code == 0, result.output
    assert "stock ok: 2 levels agree with 3 movements" in result.output


def test_check_names_a_tampered_product_and_rebuild_puts_it_right(settings, demo_store):
    bread, _milk, sku = _stocked(settings)
    _tamper(settings, "UPDATE stock_levels SET on_hand = 50000, value = 4500 WHERE product_id = ?", bread)
    result = soko_hub(settings.data_dir, "stock", "check")
    assert result.exit_code == 1
    assert f"{sku} (Bread): on_hand is 50000, the ledger says 10000" in result.stderr
    assert "soko-hub stock rebuild" in result.stderr

    result = soko_hub(settings.data_dir, "stock", "rebuild")
    assert result.exit_code == 0, result.output
    assert "rebuilt 2 levels from 3 movements: 1 changed" in result.output and sku in result.output
    assert soko_hub(settings.data_dir, "stock", "check").exit_code == 0
    again = soko_hub(settings.data_dir, "stock", "rebuild")
    assert "0 changed" in again.output


def test_rebuild_refuses_while_the_hub_runs_and_changes_nothing(settings, demo_store):
    bread, _milk, sku = _stocked(settings)
    _tamper(settings, "UPDATE stock_levels SET on_hand = 50000, value = 4500 WHERE product_id = ?", bread)
    with InstanceLock(settings.lock_path).acquire("serve"):
        result = soko_hub(settings.data_dir, "stock", "rebuild")
        assert soko_hub(settings.data_dir, "stock", "check").exit_code == 1  # checking is fine beside it
    assert result.exit_code == 1
    assert "cannot rebuild stock while the hub runs" in result.stderr and "stop the running hub" in result.stderr
    assert "nothing was changed" in result.stderr
    assert f"{sku} (Bread): on_hand is 50000" in soko_hub(settings.data_dir, "stock", "check").stderr
    assert soko_hub(settings.data_dir, "stock", "rebuild").exit_code == 0  # once the hub has stopped


def test_stock_commands_refuse_a_missing_database(tmp_path):
    result = soko_hub(tmp_path / "empty", "stock", "check")
    assert result.exit_code != 0 and "no database" in result.output

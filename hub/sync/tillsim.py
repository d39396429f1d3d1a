"""`soko-hub till-sim`: reference tills (reftill) selling against a hub, then a summary."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click


@click.command("till-sim")
@click.option("--hub", "hub_url", required=True, help="The hub's URL, e.g. https://192.168.1.20:8443.")
@click.option("--cashier", default="cashier", show_default=True, help="The user each till signs in.")
@click.option("--pin", "cashier_pin", required=True, help="That user's PIN.")
@click.option("--tills", type=click.IntRange(1, 200), default=2, show_default=True, help="How many tills.")
@click.option("--seconds", type=click.FloatRange(0, 86400), default=10, show_default=True,
              help="How long they sell.")
@click.option("--code", "codes", multiple=True, help="A pairing code (one per new till; repeat).")
@click.option("--manager", help="A user allowed devices.manage, to make the pairing codes not given.")
@click.option("--manager-password", envvar="SOKO_TILLSIM_MANAGER_PASSWORD", help="Their password.")
@click.option("--key-pin", help="The hub's key pin (base64 SPKI SHA-256) from its QR code; default: the key "
                                "met at pairing, checked against the one the hub names.")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where the tills keep their databases (tills there are reused; default: a new temporary one).")
@click.option("--currency", default="USD", show_default=True, help="The receipt currency of the sales.")
@click.option("--rate", type=click.FloatRange(0), default=0, help="Sales per second per till (0: as fast as it can).")
@click.option("--seed", type=int, help="Seed of the baskets, for a repeatable run.")
def till_sim(hub_url: str, cashier: str, cashier_pin: str, tills: int, seconds: float, codes: tuple[str, ...],
             manager: str | None, manager_password: str | None, key_pin: str | None, directory: Path | None,
             currency: str, rate: float, seed: int | None) -> None:
    """Drive reference tills: pair, load the snapshot, sign in, sell for a while, upload, and print
    what each made and what the hub acknowledged. Exits 1 when a fact is left unacknowledged."""
    try:
        from reftill.http import HubRefusedError, HubUnreachableError
        from reftill.sim import SimConfig, simulate, summary
        from reftill.till import PairingError
    except ImportError as err:  # httpx is a test and development dependency, not the Pi's
        raise click.ClickException(f"the reference till needs {err.name}: pip install 'soko-hub[test]'") from err

    where = directory or Path(tempfile.mkdtemp(prefix="soko-till-sim-"))
    config = SimConfig(hub=hub_url, cashier=cashier, cashier_pin=cashier_pin, tills=tills, seconds=seconds,
                       directory=where, key_pin=key_pin, codes=list(codes), manager=manager,
                       manager_password=manager_password, currency=currency, seed=seed, sales_per_second=rate)
    try:
        reports = simulate(config)
    except (ValueError, PairingError, HubRefusedError, HubUnreachableError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(summary(reports))
    click.echo(f"tills kept in {where}")
    if any(r.unacked for r in reports) or not reports:
        raise SystemExit(1)

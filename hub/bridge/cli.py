"""`soko-hub hq`: enrol the hub with HQ, see the link's state, push the outbox now."""

from __future__ import annotations

import json
from typing import Any

import click


def _open(ctx: Any) -> Any:
    from hub.db.connection import connect

    settings = ctx.settings()
    if not settings.db_path.exists():
        raise click.ClickException(f"no database at {settings.db_path}")
    return settings, connect(settings.db_path)


@click.group()
def hq() -> None:
    """The link to HQ (docs/cloud-bridge.md): enrolment, state, pushing the outbox."""


@hq.command()
@click.option("--url", help="HQ's address, such as https://hq.example.co.zw")
@click.option("--code", help="The 12-character enrolment code HQ gave for this store.")
@click.option("--file", "file_", type=click.Path(exists=True, dir_okay=False),
              help="HQ's enrolment file (soko-enrol.json) instead of --url and --code.")
@click.pass_obj
def enrol(ctx: Any, url: str | None, code: str | None, file_: str | None) -> None:
    """Enrol this hub with HQ for its store (a code or HQ's file, nothing else)."""
    from pathlib import Path

    from hub.bridge import enrol as enrolment
    from hub.bridge.worker import ConnStore
    from hub.db.audit import Actor
    from hub.errors import HubError

    store_code = ca_pem = None
    via = "code"
    if file_:
        doc = _or_fail(lambda: enrolment.parse_file(Path(file_).read_bytes()))
        url, code, store_code, ca_pem = doc["hq_url"], doc["code"], doc["store_code"], doc["ca_pem"]
        via = "file"
    if not url or not code:
        raise click.UsageError("give --url and --code, or --file")
    settings, conn = _open(ctx)
    try:
        store = ConnStore(conn)
        try:
            status = enrolment.enrol(store.read, store.write, settings.data_dir, Actor.system("cli"), url=url,
                                     code=code, store_code=store_code, ca_pem=ca_pem, via=via)
        except HubError as err:
            raise click.ClickException(err.detail) from err
    finally:
        conn.close()
    store_ = status["store"] or {}
    click.echo(f"enrolled with HQ at {status['hq_url']} for store {store_.get('code')} ({store_.get('name')}), "
               f"fence {status['fence']}; {status['backlog']} facts to send")


def _or_fail(fn: Any) -> Any:
    from hub.errors import HubError

    try:
        return fn()
    except HubError as err:
        messages = "; ".join(e["message"] for e in getattr(err, "errors", [])) or err.detail
        raise click.ClickException(messages) from err


@hq.command()
@click.option("--json", "as_json", is_flag=True, help="The state as JSON.")
@click.pass_obj
def status(ctx: Any, as_json: bool) -> None:
    """The link's state: enrolment, backlog and its age, last push, pull and error."""
    from hub.bridge.state import bridge_status

    _settings, conn = _open(ctx)
    try:
        found = bridge_status(conn)
    finally:
        conn.close()
    if as_json:
        click.echo(json.dumps(found, indent=1, sort_keys=True))
        return
    if not found["enrolled"]:
        click.echo("not enrolled with HQ: `soko-hub hq enrol --url URL --code CODE` or --file soko-enrol.json")
        return
    store = found["store"] or {}
    click.echo(f"HQ: {found['hq_url']}  store {store.get('code')} ({store.get('name')})  fence {found['fence']}")
    click.echo(f"state: {found['state']}")
    click.echo(f"backlog: {found['backlog']} facts, oldest recorded {found['oldest_unsent_at'] or '-'}; "
               f"acknowledged through {found['acked_through']}")
    click.echo(f"last push {found['last_push_at'] or '-'}, last pull {found['last_pull_at'] or '-'}, "
               f"cursor {found['cursor'] or '-'}")
    if found["last_error"]:
        click.echo(f"last error ({found['last_error_at']}): {found['last_error']}")
    if found["replaced"]:
        click.echo(f"HQ says another hub replaced this one ({found['replaced_at']}): the link is stopped")


@hq.command("push-now")
@click.option("--max-rounds", type=click.IntRange(1, 100000), default=1000, show_default=True)
@click.pass_obj
def push_now(ctx: Any, max_rounds: int) -> None:
    """Push the outbox to HQ now and pull HQ's changes (also while the hub runs: HQ keeps every
    fact once)."""
    from hub.bridge.state import bridge_status
    from hub.bridge.worker import ConnStore, Worker

    settings, conn = _open(ctx)
    try:
        worker = Worker(ConnStore(conn), settings.data_dir, settings=settings)
        found = bridge_status(conn)
        if not found["enrolled"]:
            raise click.ClickException("not enrolled with HQ")
        try:
            for _ in range(max_rounds):
                delay = worker.cycle()
                if delay != 0.0:
                    break
        finally:
            worker.close()
        found = bridge_status(conn)
    finally:
        conn.close()
    if worker.failures or worker.stopped_reason:
        raise click.ClickException(f"{found['backlog']} facts not sent: {found['last_error']}")
    click.echo(f"pushed {worker.pushed_total} facts; backlog {found['backlog']}; cursor {found['cursor'] or '-'}")

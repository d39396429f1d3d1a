"""`soko-hub doctor`, `soko-hub support-bundle` and `soko-hub update apply|confirm|status`."""

from __future__ import annotations

import json
from pathlib import Path

import click

MARKS = {"ok": "ok  ", "info": "info", "warning": "WARN", "critical": "CRIT"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def doctor(ctx, as_json: bool) -> None:
    """Check this hub: database, space, clock, certificate, peripherals, HQ, fiscal, power; each problem with its fix.

    Exit status 0 when nothing is critical, 1 otherwise."""
    from hub.ops import doctor as checks

    report = checks.run_offline(ctx.settings())
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        for f in report["findings"]:
            click.echo(f"{MARKS[f['severity']]}  {f['title']}: {f['detail']}")
            if f["fix"] and f["severity"] in ("warning", "critical"):
                click.echo(f"      fix: {f['fix']}")
        click.echo(f"overall: {report['status']}")
    if report["status"] == "critical":
        raise SystemExit(1)


@click.command("support-bundle")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default: <data_dir>/support-<time>.tar.gz).")
@click.pass_obj
def support_bundle(ctx, output: Path | None) -> None:
    """Write a redacted archive (versions, settings without secrets, recent logs, doctor) for support."""
    from hub.clock import utc_now
    from hub.ops import support

    settings = ctx.settings()
    target = output or settings.data_path / f"support-{utc_now():%Y%m%dT%H%M%SZ}.tar.gz"
    support.build(settings, target)
    click.echo(f"wrote {target}: attach it to your support request")


@click.group()
def update() -> None:
    """Signed updates: install beside the running version, switch, confirm health or roll back."""


_root = click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Where versions are installed (default /opt/soko-hub).")


@update.command()
@click.argument("bundle", type=click.Path(exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Install even during trading hours or with unsent sales (technicians).")
@_root
@click.pass_obj
def apply(ctx, bundle: Path, force: bool, root: Path | None) -> None:
    """Verify BUNDLE's signature, install it beside the running version, switch and restart."""
    from hub.ops import updates

    try:
        state = updates.apply(bundle, ctx.settings(), root=root or updates.ROOT, force=force)
    except updates.UpdateError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"installed {state['version']} (was {state['previous']}); the hub restarts; "
               "`soko-hub update confirm` checks its health and rolls back if needed")


@update.command()
@click.option("--timeout", type=float, default=None, help="Seconds to wait for a healthy hub.")
@_root
@click.pass_obj
def confirm(ctx, timeout: float | None, root: Path | None) -> None:
    """After the restart: keep the new version if the hub is healthy, else roll back."""
    from hub.ops import updates

    state = updates.confirm(ctx.settings(), root=root or updates.ROOT, timeout_s=timeout)
    if state is None:
        click.echo("no update is pending")
        return
    click.echo(f"{state['version']}: {state['status']}{' (' + state['reason'] + ')' if state.get('reason') else ''}")
    if state["status"] == "rolled_back":
        raise SystemExit(1)


@update.command()
@_root
@click.pass_obj
def status(ctx, root: Path | None) -> None:
    """The running version and the last update's state."""
    from hub.ops import updates

    root = root or updates.ROOT
    click.echo(f"current: {updates.current_version(root) or 'not installed under ' + str(root)}")
    click.echo(json.dumps(updates.read_state(root), indent=2) if updates.read_state(root) else "no update recorded")

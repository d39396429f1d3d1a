"""`soko-hub init` (a new, empty store) and `soko-hub user` (people, from a shell on the hub).

The user commands open hub.db directly: WAL and the busy timeout let them run beside a serving
hub, each change one transaction with exactly one audit entry, made as the system actor "cli".
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from hub.auth.permissions import PERMISSIONS
from hub.db.audit import Actor
from hub.errors import HubError
from hub.users.service import normalise_username

CLI_ACTOR = Actor.system("cli")
# A shell on the hub is the technician's last resort: it holds every permission, and the
# service's other rules (last administrator, taken usernames) still apply.
CLI_PERMISSIONS = frozenset(PERMISSIONS)


def _interactive() -> bool:
    return sys.stdin.isatty()


def _ask(option: str, text: str, check: Callable[[str], Any], **prompt: Any) -> str:
    """Prompt for a missing value on a terminal (re-asking until it passes `check`), else fail."""
    if not _interactive():
        raise click.ClickException(f"{option} is missing (stdin is not a terminal, so it cannot be asked for)")

    def proc(value: str) -> str:
        try:
            check(value)
        except ValueError as err:
            raise click.BadParameter(str(err)) from err
        return value

    return click.prompt(text, value_proc=proc, **prompt)


def _checked(check: Callable[[str], Any], value: str) -> str:
    try:
        check(value)
    except ValueError as err:
        raise click.ClickException(str(err)) from err
    return value


def _username(value: str) -> str:
    try:
        return normalise_username(value)
    except HubError as err:
        raise click.ClickException(err.detail) from err


@contextlib.contextmanager
def _rules() -> Iterator[None]:
    """A refusal by the users service becomes a one-line CLI error."""
    try:
        yield
    except HubError as err:
        raise click.ClickException(err.detail) from err


def _read_secret_file(path: str) -> str:
    try:
        text = Path(path).read_text()
    except OSError as err:
        raise click.ClickException(f"cannot read {path}: {err.strerror}") from err
    line = text.splitlines()[0] if text else ""  # only the line ending is not part of it
    if not line:
        raise click.ClickException(f"{path} is empty; it should hold the password on its first line")
    return line


@click.command()
@click.option("--store-name", help="The store's name, as printed on receipts.")
@click.option("--store-code", help="2 to 8 capital letters or digits; starts every invoice number.")
@click.option("--timezone", default="Africa/Harare", show_default=True, help="IANA time zone of the store.")
@click.option("--base-currency", default="USD", show_default=True,
              help="The store's base currency (USD or ZWG); costs are kept in it.")
@click.option("--admin-username", help="Username of the first administrator.")
@click.option("--admin-password", help="Their password (visible to `ps`: prefer the prompt or a file).")
@click.option("--admin-password-file", type=click.Path(dir_okay=False),
              help="Read the password from the first line of this file (for scripts and first boot).")
@click.pass_obj
def init(ctx, store_name: str | None, store_code: str | None, timezone: str, base_currency: str,
         admin_username: str | None, admin_password: str | None, admin_password_file: str | None) -> None:
    """Set up a real, empty store: its database and its first administrator."""
    from hub.auth.passwords import check_password_rules
    from hub.db.lock import InstanceLock, InstanceLockedError
    from hub.setup import STORE_CODE, SetupError, create_database, validate_base_currency, validate_store

    settings = ctx.settings()
    if settings.db_path.exists():
        raise click.ClickException(f"a database already exists at {settings.db_path}; `init` never "
                                   "replaces one (to put a backup back use `soko-hub backup restore`)")
    if admin_password is not None and admin_password_file:
        raise click.ClickException("give --admin-password or --admin-password-file, not both")
    if admin_password_file:
        admin_password = _read_secret_file(admin_password_file)
    try:
        base_currency = validate_base_currency(base_currency)
    except SetupError as err:
        raise click.ClickException(str(err)) from err

    def code_rule(code: str) -> None:
        if not STORE_CODE.match(code):
            raise ValueError("the store code is 2 to 8 capital letters or digits")

    store_name = store_name or _ask("--store-name", "Store name", lambda v: validate_store(v, "XX", "UTC"))
    store_code = (store_code or _ask("--store-code", "Store code (2-8 capital letters or digits)",
                                     lambda v: code_rule(v.upper()))).upper()
    try:
        validate_store(store_name, store_code, timezone)
    except SetupError as err:
        raise click.ClickException(str(err)) from err
    admin = _username(admin_username or _ask("--admin-username", "Administrator's username",
                                             _username))
    if admin_password is None:
        admin_password = _ask("--admin-password", "Administrator's password", check_password_rules,
                              hide_input=True, confirmation_prompt=True)
    _checked(check_password_rules, admin_password)
    try:
        with InstanceLock(settings.lock_path).acquire("init"):
            store = create_database(settings.db_path, store_name=store_name, store_code=store_code,
                                    timezone=timezone, hasher=ctx.hasher(), admin_username=admin,
                                    admin_password=admin_password, demo=False, base_currency=base_currency)
    except (SetupError, InstanceLockedError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"Created store {store_name!r} ({store_code}) in {settings.db_path}: hub {store.hub_id}.")
    click.echo(f"Sign in as {admin!r}. Start the hub with `soko-hub serve`.")


@click.group()
def user() -> None:
    """Store users, from a shell on the hub (works while the hub runs)."""


@contextlib.contextmanager
def _database(ctx, *, readonly: bool = False) -> Iterator[Any]:
    from hub.db.connection import connect

    path = ctx.settings().db_path
    if not path.exists():
        raise click.ClickException(f"no database at {path}: run `soko-hub init` first")
    conn = connect(path, readonly=readonly)
    try:
        yield conn
    finally:
        conn.close()


def _secret_option(name: str, label: str):
    """`--password VALUE` takes it as given; a bare `--password` asks for it, hidden, twice."""
    return click.option(name, is_flag=False, flag_value="", default=None, prompt=label,
                        prompt_required=False, hide_input=True, confirmation_prompt=True,
                        help=f"Set the {label}; without a value it is asked for (hidden).")


def _hashes(ctx, password: str | None, pin: str | None) -> dict[str, str]:
    """Check the rules, then hash (slowly: before any transaction, so no write waits on it)."""
    from hub.auth.passwords import check_password_rules, check_pin_rules

    hasher, hashes = None, {}
    for kind, value, rule in (("password", password, check_password_rules), ("pin", pin, check_pin_rules)):
        if value is not None:
            _checked(rule, value)
            hasher = hasher or ctx.hasher()
            hashes[f"{kind}_hash"] = hasher.hash(value)
    return hashes


def _target(conn, username: str) -> dict[str, Any]:
    from hub.db import users

    found = users.get_user_by_username(conn, username.strip().lower())
    if found is None:
        raise click.ClickException(f"there is no user {username!r} (see `soko-hub user list`)")
    return found


@user.command("create")
@click.argument("username")
@click.option("--role", required=True, help="Role name (see the roles in the portal or the API).")
@click.option("--display-name", help="Name shown on receipts and in the portal (default: the username).")
@_secret_option("--password", "password")
@_secret_option("--pin", "PIN")
@click.pass_obj
def create(ctx, username: str, role: str, display_name: str | None, password: str | None,
           pin: str | None) -> None:
    """Add a user with a role, a password and/or a till PIN."""
    from hub.db import roles
    from hub.db.connection import transaction
    from hub.users import service

    name = _username(username)
    if password is None and pin is None:
        raise click.ClickException("give --password or --pin (or both): a user needs a way to sign in")
    hashes = _hashes(ctx, password, pin)
    with _database(ctx) as conn, transaction(conn), _rules():
        found = roles.get_role_by_name(conn, role)
        if found is None:
            names = ", ".join(r["name"] for r in roles.list_roles(conn))
            raise click.ClickException(f"there is no role {role!r} (roles: {names})")
        service.create_user(conn, CLI_ACTOR, CLI_PERMISSIONS, username=name,
                            display_name=display_name or name, role_id=found["id"],
                            password_hash=hashes.get("password_hash"), pin_hash=hashes.get("pin_hash"),
                            tills=None)
    click.echo(f"created {name} with role {found['name']}")


@user.command("reset-password")
@click.argument("username")
@_secret_option("--password", "new password")
@_secret_option("--pin", "new PIN")
@click.pass_obj
def reset_password(ctx, username: str, password: str | None, pin: str | None) -> None:
    """Set a new password (or with --pin a new PIN) for a user; their sessions end."""
    from hub.db import audit, tokens, users
    from hub.db.connection import transaction

    with _database(ctx, readonly=True) as conn:
        _target(conn, username)  # before asking for a secret for a user who does not exist
    if password is None and pin is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    hashes = _hashes(ctx, password, pin)
    with _database(ctx) as conn, transaction(conn):
        before = _target(conn, username)
        users.update_user(conn, before["id"], **hashes)
        revoked = tokens.revoke_all_for_user(conn, before["id"])
        # One entry per secret changed: resetting a password and a PIN are two changes.
        for kind in ("password", "pin"):
            if f"{kind}_hash" in hashes:
                audit.append(conn, CLI_ACTOR, f"user.{kind}_reset", "user", before["id"],
                             detail={"revoked_tokens": revoked})
                revoked = 0
    changed = " and ".join(k.removesuffix("_hash").replace("pin", "PIN") for k in hashes)
    click.echo(f"set a new {changed} for {before['username']}; their sessions have ended")


@user.command()
@click.argument("username")
@click.pass_obj
def deactivate(ctx, username: str) -> None:
    """Refuse a user at once and end their sessions (never the last one who can manage roles)."""
    from hub.db import tokens
    from hub.db.connection import transaction
    from hub.users import service

    with _database(ctx) as conn, transaction(conn), _rules():
        before = _target(conn, username)
        if not before["active"]:
            click.echo(f"{before['username']} is already deactivated")
            return
        live = tokens.count_unrevoked(conn, before["id"])
        service.set_active(conn, CLI_ACTOR, CLI_PERMISSIONS, before["id"], False)
    click.echo(f"deactivated {before['username']}; {live} session(s) ended")


@user.command("list")
@click.pass_obj
def list_(ctx) -> None:
    """List users with their roles, whether they are active and how they sign in."""
    from hub.db import users

    with _database(ctx, readonly=True) as conn:
        everyone = users.list_users(conn, limit=1_000_000)
    if not everyone:
        click.echo("no users")
    for u in everyone:
        ways = "+".join(w for w, has in (("password", u["has_password"]), ("PIN", u["has_pin"])) if has)
        click.echo(f"{u['username']:<20} {u['role']:<12} {'active' if u['active'] else 'inactive':<9} "
                   f"{ways or '-':<13} {u['display_name']}")

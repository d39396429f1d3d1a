"""Creating a hub database: a real, empty store (`soko-hub init`) or the demo store."""

from __future__ import annotations

import re
import secrets
import sqlite3
import string
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from hub.auth.passwords import SecretHasher, check_password_rules
from hub.catalogue.seed import CURRENCIES, seed_reference_data
from hub.db import audit, meta, roles, users
from hub.db.connection import connect, transaction
from hub.db.migrations import migrate
from hub.db.settings import put_setting
from hub.errors import DemoDatabaseError
from hub.ids import new_id

STORE_CODE = re.compile(r"^[A-Z0-9]{2,8}$")
DEMO_STORE = {"name": "Soko Demo Store", "code": "DEMO", "timezone": "Africa/Harare"}
DEMO_USERS = (
    ("admin", "Demo Admin", "admin"),
    ("manager", "Demo Manager", "manager"),
    ("supervisor", "Demo Supervisor", "supervisor"),
    ("cashier", "Demo Cashier", "cashier"),
)


class SetupError(ValueError):
    """The store cannot be created as asked; the message says why."""


@dataclass
class NewStore:
    hub_id: str
    store_id: str
    epoch: str
    demo: bool
    credentials: list[tuple[str, str, str, str]] = field(default_factory=list)  # user, role, password, pin


def validate_store(name: str, code: str, timezone: str) -> None:
    if not name.strip() or len(name) > 120:
        raise SetupError("the store name must be 1 to 120 characters")
    if not STORE_CODE.match(code):
        raise SetupError("the store code is 2 to 8 capital letters or digits (it starts every invoice number)")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as err:
        raise SetupError(f"unknown time zone {timezone!r} (use an IANA name such as Africa/Harare)") from err


def _seed_base() -> str:
    return next(c["code"] for c in CURRENCIES if c.get("is_base"))


def validate_base_currency(code: str | None) -> str:
    """The base currency a new store is made with: one of the seeded currencies (None: the seed's)."""
    if code is None:
        return _seed_base()
    known = [c["code"] for c in CURRENCIES]
    if code.upper() not in known:
        raise SetupError(f"the base currency must be one of {', '.join(known)}")
    return code.upper()


def _random_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def _random_pin() -> str:
    while True:
        pin = "".join(secrets.choice(string.digits) for _ in range(4))
        if len(set(pin)) > 1:
            return pin


def create_database(
    path: Path, *, store_name: str, store_code: str, timezone: str, hasher: SecretHasher,
    admin_username: str | None = None, admin_password: str | None = None, demo: bool = False,
    base_currency: str | None = None,
) -> NewStore:
    """Create and migrate a new hub.db; refuses to touch an existing file. `base_currency` (one of
    the seeded currencies; None: the seed's own base) is set in the same transaction that makes
    the store, so no store ever exists without the base currency it was made with. The database
    is made under a temporary name beside `path` and appears at `path` only when complete: a crash
    (a power cut) at any point leaves no hub.db, so the next start offers the set-up again."""
    validate_store(store_name, store_code, timezone)
    base_currency = validate_base_currency(base_currency)
    if not demo:
        if not admin_username or admin_password is None:
            raise SetupError("a new store needs its first administrator's username and password")
        try:
            check_password_rules(admin_password)
        except ValueError as err:
            raise SetupError(str(err)) from err
    if path.exists():
        raise SetupError(f"{path} already exists; the hub never overwrites a database")
    path.parent.mkdir(parents=True, exist_ok=True)
    making = path.with_name(path.name + CREATING_SUFFIX)
    _remove_db_files(making)  # left by a creation a crash interrupted
    conn = connect(making)
    try:
        migrate(conn)
        store = NewStore(hub_id=new_id(), store_id=new_id(), epoch="", demo=demo)
        system = audit.Actor.system("setup")
        with transaction(conn):
            meta.put(conn, "hub_id", store.hub_id)
            meta.put(conn, "store_id", store.store_id)
            store.epoch = meta.new_epoch(conn)
            meta.put(conn, "demo", "1" if demo else "0")
            meta.put(conn, "created_at", conn.stamp())
            for key, value in (("store.name", store_name), ("store.code", store_code),
                               ("store.timezone", timezone)):
                put_setting(conn, key, value)
            builtin = roles.seed_builtin_roles(conn)
            audit.append(conn, system, "store.created", "store", store.store_id,
                         after={"name": store_name, "code": store_code, "timezone": timezone,
                                "demo": demo, "hub_id": store.hub_id})
            seed_reference_data(conn, system)  # currencies, units, tax classes, tax mode
            if base_currency != _seed_base():
                from hub.catalogue.currencies.service import update_currency

                update_currency(conn, system, base_currency, {"is_base": True})
            if demo:
                for username, display, role in DEMO_USERS:
                    password, pin = _random_password(), _random_pin()
                    user = users.create_user(conn, username=username, display_name=display,
                                             role_id=builtin[role]["id"],
                                             password_hash=hasher.hash(password), pin_hash=hasher.hash(pin))
                    audit.append(conn, system, "user.created", "user", user["id"], after=user)
                    store.credentials.append((username, role, password, pin))
            else:
                assert admin_username and admin_password is not None
                user = users.create_user(conn, username=admin_username, display_name=admin_username,
                                         role_id=builtin["admin"]["id"],
                                         password_hash=hasher.hash(admin_password))
                audit.append(conn, system, "user.created", "user", user["id"], after=user)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    except BaseException:
        conn.close()
        _remove_db_files(making)  # a half-made store must not look like a real one
        raise
    conn.close()
    _publish(making, path)
    return store


CREATING_SUFFIX = ".creating"


def _remove_db_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _publish(made: Path, path: Path) -> None:
    """Give the finished database (closed, checkpointed) its real name, never over another one."""
    import os

    for suffix in ("-wal", "-shm"):  # checkpointed and closed: nothing is left in them
        Path(str(made) + suffix).unlink(missing_ok=True)
    fd = os.open(made, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(made, path)  # atomic, and fails if `path` appeared meanwhile
    except FileExistsError as err:
        _remove_db_files(made)
        raise SetupError(f"{path} already exists; the hub never overwrites a database") from err
    except OSError:  # a file system without hard links
        if path.exists():
            _remove_db_files(made)
            raise SetupError(f"{path} already exists; the hub never overwrites a database") from None
        os.rename(made, path)
    made.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def require_not_demo(conn: sqlite3.Connection, what: str) -> None:
    """Refuse `what` (HQ enrolment, fiscal registration) on a demo database."""
    if meta.is_demo(conn):
        raise DemoDatabaseError(f"{what} is refused on a demo database: set up a real store with `soko-hub init`")


def load_demo_catalogue(path: Path, *, seed: int | None = None,
                        products: int | None = None) -> dict[str, int]:
    """Fill a new demo store's catalogue (about 2,000 products, tiers, promotions) in one
    transaction. Kept apart from `create_database` so tests get a demo store in milliseconds and
    ask for the catalogue only when they need it; `serve --demo` always loads it."""
    from hub.catalogue import demo
    from hub.catalogue.demo_install import install

    conn = connect(path)
    try:
        if not meta.is_demo(conn):
            raise SetupError("the demo catalogue goes only into a demo store")
        catalogue = demo.catalogue(seed if seed is not None else demo.DEMO_SEED,
                                   products if products is not None else demo.DEMO_PRODUCTS)
        with transaction(conn):
            return install(conn, catalogue, audit.Actor.system("setup"))
    finally:
        conn.close()

"""The one-time setup code: made at first boot, stored only as an Argon2id hash in the data
directory (mode 0600, the hub's user), checked by the wizard, destroyed when the store exists."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import click

from hub.auth.passwords import SecretHasher
from hub.settings import Settings

CODE_FILE = "setup-code"
# No 0/o, 1/l/i: read off a card or a console and typed on a phone.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GROUPS, GROUP_LEN = 3, 4
MAX_CODE_INPUT = 64
_SEPARATORS = re.compile(r"[\s-]+")


def code_path(settings: Settings) -> Path:
    return settings.data_path / CODE_FILE


def new_code() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP_LEN)) for _ in range(GROUPS))


def normalise(code: str) -> str:
    """What was typed, as stored: lower case, without spaces or dashes."""
    return _SEPARATORS.sub("", code).lower()


def make_code(settings: Settings, hasher: SecretHasher) -> str:
    """A new code; its hash replaces any earlier one (readable by this user only). Returns the code."""
    code = new_code()
    path = code_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{CODE_FILE}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(hasher.hash(normalise(code)) + "\n")
    os.replace(tmp, path)
    return code


def has_code(settings: Settings) -> bool:
    return code_path(settings).is_file()


def check_code(settings: Settings, hasher: SecretHasher, typed: str) -> bool:
    """Whether `typed` is the current code (False when there is none)."""
    try:
        stored = code_path(settings).read_text().strip()
    except OSError:
        return False
    candidate = normalise(typed)
    if not candidate or len(candidate) > MAX_CODE_INPUT:
        return False
    return hasher.verify(stored, candidate)


def destroy_code(settings: Settings) -> None:
    code_path(settings).unlink(missing_ok=True)


@click.command("setup-code")
@click.pass_obj
def setup_code(ctx) -> None:
    """Make a new one-time code for the first-run wizard (printed once; only its hash is kept)."""
    settings = ctx.settings()
    if settings.db_path.exists():
        raise click.ClickException(f"this hub already has a store ({settings.db_path}); "
                                   "the setup wizard is only for a new hub")
    click.echo(make_code(settings, ctx.hasher()))

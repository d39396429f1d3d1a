"""Wire structs of /api/v1/users. Secrets go in, never out: a user shows only has_password/has_pin."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hub.auth.passwords import MAX_PASSWORD_LENGTH
from hub.users.service import USERNAME_PATTERN

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
# Checked case-insensitively and stored in lower case (see hub.users.service.normalise_username).
Username = Annotated[str, msgspec.Meta(min_length=3, max_length=32, pattern=USERNAME_PATTERN)]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PASSWORD_LENGTH)]
Pin = Annotated[str, msgspec.Meta(min_length=1, max_length=8)]
Tills = Annotated[list[Id], msgspec.Meta(max_length=200)]
MAX_PAGE = 200


class User(msgspec.Struct):
    id: str
    username: str
    display_name: str
    role_id: str
    role: str
    active: bool
    has_password: bool
    has_pin: bool
    tills: list[str] | None  # device ids this user may sell on; null: every till
    version: int
    created_at: str
    updated_at: str


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    display_name: DisplayName
    role_id: Id
    password: Password | None = None
    pin: Pin | None = None
    tills: Tills | None = None


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    display_name: DisplayName | msgspec.UnsetType = msgspec.UNSET
    role_id: Id | msgspec.UnsetType = msgspec.UNSET
    tills: Tills | None | msgspec.UnsetType = msgspec.UNSET


class PasswordReset(msgspec.Struct, forbid_unknown_fields=True):
    password: Password


class PinReset(msgspec.Struct, forbid_unknown_fields=True):
    pin: Pin


class UserPage(msgspec.Struct):
    items: list[User]
    next_after: str | None  # pass as `after` for the next page; null on the last page

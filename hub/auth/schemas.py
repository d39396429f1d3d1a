"""Wire structs of /api/v1/auth: login, refresh, the caller's own profile and API tokens."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hub.users.schemas import DisplayName, Password, Pin, User

LoginName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
TokenText = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
TokenName = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
MAX_API_TOKEN_DAYS = 3650


class Credentials(msgspec.Struct, forbid_unknown_fields=True):
    """Exactly one of `password` and `pin`."""

    username: LoginName
    password: Password | None = None
    pin: Pin | None = None


class Me(User):
    permissions: list[str]


class Session(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_at: str
    refresh_expires_at: str
    user: Me


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: TokenText


class MeUpdate(msgspec.Struct, forbid_unknown_fields=True):
    display_name: DisplayName


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Password
    new_password: Password


class PinChange(msgspec.Struct, forbid_unknown_fields=True):
    """Proves who you are with your password or, for a user who has only a PIN, the current PIN."""

    new_pin: Pin
    current_password: Password | None = None
    current_pin: Pin | None = None


class ApiToken(msgspec.Struct):
    id: str
    name: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None


class ApiTokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    name: TokenName
    expires_in_days: Annotated[int, msgspec.Meta(ge=1, le=MAX_API_TOKEN_DAYS)] | None = None


class ApiTokenCreated(ApiToken):
    token: str  # the secret: shown in this response only

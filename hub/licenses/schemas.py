"""Wire structs of /api/v1/licenses. The raw file is kept on the hub, never sent back."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hub.licenses.verify import MAX_FILE_CHARS


class License(msgspec.Struct):
    id: str
    customer: str
    store_id: str | None  # null: valid in any store
    seats: int
    used_seats: int  # devices not revoked that hold a seat of this license
    features: list[str]
    issued_at: str
    expires_at: str
    installed_at: str
    installed_by: str | None
    installed_by_username: str | None
    status: str  # active | expired


class LicenseCreate(msgspec.Struct, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_FILE_CHARS,
                                      description="The license file's text, as received")]


class LicenseSummary(msgspec.Struct):
    active_seats: int  # seats of the licenses not expired
    devices_in_use: int  # devices not revoked
    trial_seats: int  # devices allowed with no active license (0 while one is active)
    can_pair: bool  # whether one more till may pair now
    pairing_refused: str | None  # why not, in words a manager understands


class LicenseOverview(msgspec.Struct):
    licenses: list[License]
    summary: LicenseSummary
    banner: str | None  # for the portal: expired or soon expiring; null when all is well

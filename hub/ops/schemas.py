"""Wire structs of the operations API."""

from __future__ import annotations

from typing import Annotated

import msgspec

from hub.bounds import bounded_int

Hhmm = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Path200 = Annotated[str, msgspec.Meta(max_length=200)]


class OpsSettings(msgspec.Struct):
    backup_times: list[str]
    backup_every_hours: int
    keep_daily: int
    keep_weekly: int
    usb_path: str
    hq_copies: bool
    key_id: str  # the recovery key's id; empty: no recovery key, backups never leave the hub
    key_created_at: str
    ups: str
    ups_gpio_low: str
    clock_from_tills: bool
    trading_hours: str


class OpsSettingsUpdate(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Only the fields given change."""

    backup_times: Annotated[list[Hhmm], msgspec.Meta(max_length=8)] | None = None
    backup_every_hours: bounded_int(0, 24) | None = None  # type: ignore[valid-type]
    keep_daily: bounded_int(1, 60) | None = None  # type: ignore[valid-type]
    keep_weekly: bounded_int(0, 52) | None = None  # type: ignore[valid-type]
    usb_path: Path200 | None = None
    hq_copies: bool | None = None
    ups: Path200 | None = None
    ups_gpio_low: Annotated[str, msgspec.Meta(pattern="^[01]$")] | None = None
    clock_from_tills: bool | None = None
    trading_hours: Annotated[str, msgspec.Meta(max_length=11)] | None = None


class BackupRun(msgspec.Struct):
    name: str
    trigger: str
    status: str
    started_at: str
    finished_at: str
    size: int | None
    sha256: str | None
    verified: bool
    verify_detail: str
    bundle: str
    key_id: str
    usb_status: str
    usb_detail: str
    hq_status: str
    hq_detail: str
    error: str
    pruned_at: str | None = None


class BackupRunList(msgspec.Struct):
    items: list[BackupRun]


class RecoveryKey(msgspec.Struct):
    key: str  # shown only in this answer: the hub keeps only its public half
    key_id: str


class Finding(msgspec.Struct):
    key: str
    title: str
    severity: str
    detail: str
    fix: str


class DoctorReport(msgspec.Struct):
    version: str
    at: str
    status: str
    findings: list[Finding]

"""0026 fiscal_operations: the fiscal worker's scheduled jobs per device (docs/fiscal.md).

`fiscal_jobs`: one row per fiscal device and job ("auto_open", "auto_close", "config_refresh",
"certificate_renewal", "day_end_warning", "day_max_alert"): when it last ran (`last_at`, a hub
stamp), the store-local date or fiscal day it ran for (`ran_for`, so a daily job runs once a day
and an alert is published once a fiscal day), its outcome (`ok`, `failed`) and what happened
(`detail`, shown on the Fiscal page). The worker writes it; nothing else does.

`fiscal_devices.taxpayer_verified_at`: when a manager last asked FDMS who the taxpayer of a
device is (verifyTaxpayerInformation from the portal); the answer is stored in
`fiscal_devices.taxpayer` so the manager confirms it before registering.
"""

from __future__ import annotations

import sqlite_utils

STATEMENTS = (
    """CREATE TABLE fiscal_jobs (
        fiscal_device_id TEXT NOT NULL REFERENCES fiscal_devices (id),
        job TEXT NOT NULL CHECK (job IN ('auto_open', 'auto_close', 'config_refresh', 'certificate_renewal',
                                         'day_end_warning', 'day_max_alert')),
        last_at TEXT NOT NULL,
        ran_for TEXT NOT NULL DEFAULT '',
        outcome TEXT NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'failed')),
        detail TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (fiscal_device_id, job)
    )""",
    "ALTER TABLE fiscal_devices ADD COLUMN taxpayer_verified_at TEXT",
)


def apply(db: sqlite_utils.Database) -> None:
    for statement in STATEMENTS:
        db.execute(statement)

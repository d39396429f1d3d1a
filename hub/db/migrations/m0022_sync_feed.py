"""0022 sync_feed: the change feed's transaction marks, so a till's batch never splits one.

`changes.txn` is the seq of the first change its transaction recorded; it is NULL on that first
row itself (its own seq is the mark), so a transaction of one change costs nothing more. A feed
batch that would end inside a transaction is cut before it, or carried to its end when that
transaction alone is larger than the batch (hub.sync.feed). Rows recorded before this
migration keep NULL: each is read as a transaction of its own.

The feed is trimmed by `soko-hub sync trim` (hub.sync.feed.trim); the highest seq it removed is
the meta key `sync_trimmed_through`, below which a till's cursor gets 410 `cursor_trimmed`.
"""

from __future__ import annotations

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    db.execute("ALTER TABLE changes ADD COLUMN txn INTEGER")
    db.execute("CREATE INDEX changes_txn ON changes (txn) WHERE txn IS NOT NULL")

"""The reference till: a till client that speaks only HTTP to the hub (the executable
specification of the sync protocol, docs/sync.md, for the till app). It imports nothing from
`hub` (tests/reftill/test_imports.py).

- `reftill.till.Till`: pair, sign in (online or offline), shifts, selling, the outbox of facts.
- `reftill.sync.Sync` (a till's `.sync`): snapshot, changes, upload, status, shift digests.
- `reftill.store.LocalStore`: the till's own SQLite database.
- `reftill.pricing`: basket arithmetic in integers; `reftill.facts`: UUIDv7 and payload hashes.
- `reftill.http` / `reftill.transport`: the HTTP client with the hub's TLS key pinned.
- `reftill.sim`: many tills at once (`soko-hub till-sim`).
"""

"""Setup mode: the first-run wizard a new hub serves when it has no store database yet.

`soko-hub serve` on a hub without hub.db (and without --demo) serves only the wizard, health and
static files (every other API route answers 503 `setup_required`), guarded by a one-time setup
code that first boot makes (`soko-hub setup-code`). Finishing creates the store exactly as
`soko-hub init` does (hub.setup.create_database), destroys the code and switches the same server
over to the full hub in-process.
"""

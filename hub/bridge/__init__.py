"""The hub side of the link to HQ: outbox, push and pull worker, enrolment (docs/cloud-bridge.md)."""

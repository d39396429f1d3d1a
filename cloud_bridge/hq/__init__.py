"""The HQ collector: a Litestar app on PostgreSQL that stores the hubs' facts exactly once, serves
HQ's reference data to them and shows the chain's figures (docs/cloud-bridge.md).

It imports nothing from `hub`: the hub and HQ meet only over HTTP. `create_app(settings)` in
`cloud_bridge.hq.app`; `soko-hq` (cloud_bridge.hq.cli) serves and administers it.
"""

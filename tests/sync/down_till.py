"""Test helper: a till's copy of the reference data, kept by the snapshot and the change feed over
HTTP only (what docs/sync.md, "Down", tells a till to do)."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import httpx

from tests.hubtest import Hub
from tests.pairing import Tills
from tests.people import People

CHANGES = "/api/v1/sync/changes"
SNAPSHOT = "/api/v1/sync/snapshot"


def decode_snapshot(raw: bytes) -> list[dict[str, Any]]:
    """The snapshot's lines; ValueError when the download is cut off or damaged."""
    try:
        text = gzip.decompress(raw).decode()
    except (EOFError, OSError, zlib.error) as err:
        raise ValueError(f"not a whole gzip stream: {err}") from err
    lines = [json.loads(line) for line in text.splitlines()]
    if len(lines) < 2 or lines[-1].get("end") is not True or lines[-1]["count"] != len(lines) - 2:
        raise ValueError("no end line, or its count does not match")
    return lines


class TillCopy:
    """What one paired till holds: {(entity, id): (version, data)} and its cursor."""

    def __init__(self, hub: Hub, device_token: str, device_id: str) -> None:
        self.hub = hub
        self.device_id = device_id
        self.http = hub.client()
        self.http.headers["X-Device-Token"] = device_token
        self.rows: dict[tuple[str, str], tuple[int, Any]] = {}
        self.cursor: str | None = None
        self.header: dict[str, Any] = {}

    @classmethod
    def paired(cls, hub: Hub, tills: Tills) -> "TillCopy":
        till = tills.pair()
        return cls(hub, till["device_token"], till["device_id"])

    def raw_snapshot(self) -> bytes:
        with self.http.stream("GET", SNAPSHOT) as r:
            assert r.status_code == 200, r.read()
            assert r.headers["content-encoding"] == "gzip"
            assert r.headers["content-type"].startswith("application/x-ndjson")
            return b"".join(r.iter_raw())

    def load_snapshot(self) -> None:
        lines = decode_snapshot(self.raw_snapshot())
        self.header = lines[0]
        self.rows = {(r["entity"], r["id"]): (r["version"], r["data"]) for r in lines[1:-1]}
        self.cursor = self.header["cursor"]

    def pull(self, *, limit: int = 500, wait: int = 0) -> dict[str, Any]:
        r = self.http.get(CHANGES, params={"cursor": self.cursor, "limit": limit, "wait": wait},
                          timeout=wait + 10)
        assert r.status_code == 200, r.text
        page = r.json()
        for c in page["changes"]:
            if c["op"] == "delete":
                self.rows.pop((c["entity"], c["id"]), None)
            else:
                self.rows[(c["entity"], c["id"])] = (c["version"], c["data"])
        self.cursor = page["cursor"]
        return page

    def pull_all(self, limit: int = 500) -> list[dict[str, Any]]:
        pages = [self.pull(limit=limit)]
        while pages[-1]["more"]:
            pages.append(self.pull(limit=limit))
        return pages

    def of(self, entity: str) -> dict[str, Any]:
        return {i: data for (e, i), (_v, data) in self.rows.items() if e == entity}


def manager_and_tills(hub: Hub) -> tuple[People, Tills]:
    people = People(hub)
    return people, Tills.licensed(hub, people.root)


def gone(r: httpx.Response) -> str:
    assert r.status_code == 410, r.text
    body = r.json()
    assert body["snapshot"] == SNAPSHOT and body["hub_time"]
    return body["code"]

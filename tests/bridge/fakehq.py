"""A small HQ for the bridge's tests: the contract's routes (docs/cloud-bridge.md) over a real
socket on 127.0.0.1, in memory, recording every request. The real collector
(cloud_bridge/hq, tests/hqtest.py) takes its place in the integration tests once it is there.

It deduplicates facts by (store, event_id), keeps acked_through per (hub_id, epoch), checks
hashes and contiguity, fences replaced hubs, serves a change feed and a snapshot, queues
requests, and can be told to fail: `fail_next(n, status, code, retry_after)`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cloud_bridge.link import fact_hash

API = "/api/hq/v1"


class FakeHQ:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.codes: dict[str, dict[str, Any]] = {}  # code -> {store_id, store_code, used}
        self.stores: dict[str, dict[str, Any]] = {}  # store_id -> {code, name, fence}
        self.tokens: dict[str, dict[str, Any]] = {}  # sha256(token) -> {store_id, fence, hub_id}
        self.facts: dict[tuple[str, str], dict[str, Any]] = {}  # (store_id, event_id) -> fact
        self.acked: dict[tuple[str, str], int] = {}  # (hub_id, epoch) -> seq
        self.duplicates = 0
        self.changes: list[dict[str, Any]] = []  # the feed, seq from 1
        self.epoch = "hq1"
        self.statuses: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.results: dict[str, dict[str, Any]] = {}
        self.log: list[tuple[str, str, int]] = []
        self.faults: list[tuple[int, str, float | None]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-hq", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "FakeHQ":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    # -- authoring -----------------------------------------------------------------------------
    def store(self, code: str, name: str = "Store") -> tuple[str, str]:
        """A store and an enrolment code for it: (store_id, enrolment code)."""
        store_id = f"st-{code}"
        self.stores.setdefault(store_id, {"code": code, "name": name, "fence": 0})
        enrol_code = secrets.token_hex(6).upper()
        self.codes[enrol_code] = {"store_id": store_id, "used": False}
        return store_id, enrol_code

    def publish(self, entity: str, entity_id: str, version: int, data: dict[str, Any] | None,
                op: str = "upsert") -> None:
        with self.lock:
            self.changes.append({"seq": len(self.changes) + 1, "entity": entity, "id": entity_id,
                                 "version": version, "op": op, "data": data})

    def fail_next(self, n: int, status: int = 503, code: str = "unavailable", retry_after: float | None = None) -> None:
        self.faults.extend([(status, code, retry_after)] * n)

    def facts_of(self, store_id: str) -> list[dict[str, Any]]:
        return [f for (s, _), f in self.facts.items() if s == store_id]

    # -- the routes ----------------------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hq = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _body(self) -> Any:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                return json.loads(raw) if raw else None

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status < 400 else "application/problem+json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _problem(self, status: int, code: str, **extra: Any) -> None:
                self._send(status, {"status": status, "code": code, "title": code, "detail": code, **extra})

            def _auth(self) -> dict[str, Any] | None:
                auth = self.headers.get("Authorization") or ""
                token = auth.removeprefix("Bearer ")
                found = hq.tokens.get(hashlib.sha256(token.encode()).hexdigest())
                if found is None:
                    self._problem(401, "unauthenticated")
                    return None
                if found["fence"] < hq.stores[found["store_id"]]["fence"]:
                    self._problem(401, "hub_replaced")
                    return None
                return found

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                self._route("POST")

            def _route(self, method: str) -> None:
                url = urlsplit(self.path)
                path = url.path.removeprefix(API)
                body = self._body() if method == "POST" else None
                with hq.lock:
                    if hq.faults and path != "/enrol":
                        status, code, retry = hq.faults.pop(0)
                        hq.log.append((method, path, status))
                        headers = {"Retry-After": str(int(retry))} if retry is not None else {}
                        data = json.dumps({"status": status, "code": code}).encode()
                        self.send_response(status)
                        self.send_header("Content-Length", str(len(data)))
                        for k, v in headers.items():
                            self.send_header(k, v)
                        self.end_headers()
                        self.wfile.write(data)
                        return
                    hq.log.append((method, path, 0))
                    if path == "/enrol":
                        return self._enrol(body)
                    who = self._auth()
                    if who is None:
                        return
                    if path == "/facts":
                        return self._facts(who, body)
                    if path == "/changes":
                        return self._changes(parse_qs(url.query))
                    if path == "/snapshot":
                        return self._snapshot()
                    if path == "/status":
                        hq.statuses.append({"store_id": who["store_id"], **body})
                        pending, hq.requests = hq.requests, []
                        return self._send(200, {"hq_time": "2026-11-26T00:00:00Z", "requests": pending})
                    if path.startswith("/requests/") and path.endswith("/result"):
                        hq.results[path.split("/")[2]] = body
                        return self._send(200, {"ok": True})
                self._problem(404, "not_found")

            def _enrol(self, body: dict[str, Any]) -> None:
                found = hq.codes.get(body.get("code", ""))
                if found is None:
                    return self._problem(404, "code_unknown")
                if found["used"]:
                    return self._problem(409, "code_used")
                store = hq.stores[found["store_id"]]
                if body.get("store_code") and body["store_code"] != store["code"]:
                    return self._problem(422, "store_mismatch")
                found["used"] = True
                store["fence"] += 1
                token = secrets.token_urlsafe(32)
                hq.tokens[hashlib.sha256(token.encode()).hexdigest()] = {
                    "store_id": found["store_id"], "fence": store["fence"], "hub_id": body["hub_id"]}
                self._send(201, {"store_id": found["store_id"], "store_code": store["code"], "store_name": store["name"],
                                 "token": token, "fence": store["fence"], "hq_time": "2026-11-26T00:00:00Z"})

            def _facts(self, who: dict[str, Any], body: dict[str, Any]) -> None:
                facts = body["facts"]
                seqs = [f["seq"] for f in facts]
                if seqs != list(range(seqs[0], seqs[0] + len(seqs))):
                    return self._problem(422, "batch_not_contiguous")
                for f in facts:
                    if fact_hash(f["data"]) != f["hash"]:
                        return self._problem(422, "payload_hash_mismatch", event_id=f["event_id"])
                key = (body["hub_id"], body["epoch"])
                if key in hq.acked and seqs[0] > hq.acked[key] + 1:
                    return self._problem(409, "sequence_gap", resend_from=hq.acked[key] + 1,
                                         acked_through=hq.acked[key])
                stored = dupes = 0
                for f in facts:
                    k = (who["store_id"], f["event_id"])
                    if k in hq.facts:
                        dupes += 1
                    else:
                        hq.facts[k] = f
                        stored += 1
                hq.duplicates += dupes
                hq.acked[key] = max(hq.acked.get(key, 0), seqs[-1])
                self._send(200, {"acked_through": hq.acked[key], "stored": stored, "duplicates": dupes,
                                 "hq_time": "2026-11-26T00:00:00Z"})

            def _changes(self, query: dict[str, list[str]]) -> None:
                cursor = query.get("cursor", [""])[0]
                epoch, _, seq = cursor.rpartition(":")
                if epoch != hq.epoch:
                    return self._problem(410, "epoch_unknown")
                after = int(seq)
                limit = int(query.get("limit", ["500"])[0])
                rows = [c for c in hq.changes if c["seq"] > after][:limit]
                last = rows[-1]["seq"] if rows else after
                self._send(200, {"cursor": f"{hq.epoch}:{last}", "changes": rows,
                                 "more": any(c["seq"] > last for c in hq.changes), "hq_time": "2026-11-26T00:00:00Z"})

            def _snapshot(self) -> None:
                latest: dict[tuple[str, str], dict[str, Any]] = {}
                for c in hq.changes:
                    latest[(c["entity"], c["id"])] = c
                live = [c for c in latest.values() if c["op"] == "upsert"]
                lines = [{"epoch": hq.epoch, "cursor": f"{hq.epoch}:{len(hq.changes)}", "hq_time": "x",
                          "entities": sorted({c["entity"] for c in live})}]
                lines += [{"entity": c["entity"], "id": c["id"], "version": c["version"], "data": c["data"]}
                          for c in reversed(live)]
                lines.append({"end": True, "count": len(live)})
                data = gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode())
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def enrol_once(store_code: str) -> tuple[str, str, threading.Thread]:
    """An HQ that answers one enrolment for `store_code` and goes away (for the route oracles,
    which keep no server running): its URL, the code, and its thread (it ends by itself)."""
    from http.server import HTTPServer

    hq = FakeHQ()
    hq.server.server_close()
    _store_id, code = hq.store(store_code, "Oracle store")
    server = HTTPServer(("127.0.0.1", 0), hq._handler())
    server.timeout = 20

    def serve() -> None:
        try:
            server.handle_request()
        finally:
            server.server_close()

    thread = threading.Thread(target=serve, name="fake-hq-once", daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_address[1]}", code, thread

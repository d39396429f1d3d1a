"""Enrolment with HQ: an enrolment code (or HQ's `soko-enrol.json`) for a token and a fence.

The hub sends the code with its identity; HQ answers with the store it now speaks for, a token
and a fence (docs/cloud-bridge.md, "Enrolment"). The token goes to `<data_dir>/hq/credentials.json`
(0600 in a 0700 directory), the rest to `bridge_state`; the meta key `hq_enrolled` turns on the
ownership rule (hub.catalogue.ownership): from then on HQ's fields change only from HQ. A demo
database refuses before calling HQ. One audit entry, `hq.enrolled`, without the token.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from cloud_bridge.link import HQError, HQUnreachable, Link
from hub.bridge import state
from hub.db import audit, meta
from hub.db.audit import Actor
from hub.errors import ConflictError, DemoDatabaseError, FieldErrors, HubError

CODE_LENGTH = 12
MAX_FILE_BYTES = 64 * 1024


class EnrolmentRefused(HubError):
    """HQ refused the code: its status and code come through."""

    status, code, title = 409, "enrolment_refused", "HQ refused the enrolment"


def parse_file(text: str | bytes) -> dict[str, Any]:
    """The fields of a `soko-enrol.json`: hq_url, code, store_code, ca_pem (optional)."""
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise FieldErrors([("file", "this is not an enrolment file from HQ (too large)")])
        try:
            text = text.decode()
        except UnicodeDecodeError as err:
            raise FieldErrors([("file", "this is not an enrolment file from HQ (not text)")]) from err
    try:
        doc = json.loads(text)
    except ValueError as err:
        raise FieldErrors([("file", "this is not an enrolment file from HQ (not JSON)")]) from err
    if not isinstance(doc, dict) or not isinstance(doc.get("hq_url"), str) or not isinstance(doc.get("code"), str):
        raise FieldErrors([("file", "this is not an enrolment file from HQ (it needs hq_url and code)")])
    return {"hq_url": doc["hq_url"], "code": doc["code"], "store_code": doc.get("store_code"),
            "ca_pem": doc.get("ca_pem") if isinstance(doc.get("ca_pem"), str) else None}


def check_input(url: str, code: str) -> tuple[str, str]:
    problems = []
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(("hq_url", "HQ's address, such as https://hq.example.co.zw"))
    code = "".join((code or "").split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or not code.isalnum():
        problems.append(("code", f"the enrolment code from HQ: {CODE_LENGTH} letters and digits"))
    if problems:
        raise FieldErrors(problems)
    return url.rstrip("/"), code


def identity(conn: sqlite3.Connection) -> dict[str, Any]:
    from hub.db.migrations import current_version
    from hub.db.settings import get_setting

    return {"hub_id": meta.get(conn, "hub_id"), "epoch": meta.get(conn, "epoch"),
            "demo": meta.is_demo(conn), "schema_version": current_version(conn),
            "store_code": get_setting(conn, "store.code"), "enrolled": state.values(conn)}


def record(conn: sqlite3.Connection, actor: Actor, url: str, answer: dict[str, Any], *, via: str) -> dict[str, Any]:
    """The enrolment's state, meta flag and audit entry (the token is written by the caller)."""
    before = state.values(conn)
    same_store = before.get("store_id") == str(answer.get("store_id"))
    if not same_store:  # another store's feed: start HQ's feed afresh
        for key in ("cursor",):
            state.put(conn, key, None)
    for key in ("replaced", "last_error", "last_error_at", "reachable"):
        state.put(conn, key, None)
    values = {"hq_url": url, "store_id": answer.get("store_id"), "store_code": answer.get("store_code"),
              "store_name": answer.get("store_name"), "fence": answer.get("fence"),
              "enrolled_at": conn.stamp()}
    for key, value in values.items():
        state.put(conn, key, value)
    meta.put(conn, "hq_enrolled", "1")
    audit.append(conn, actor, "hq.enrolled", "hq", str(answer.get("store_id")),
                 before={k: before.get(k) for k in ("hq_url", "store_id", "store_code", "fence")} if before.get("hq_url") else None,
                 after={k: values[k] for k in ("hq_url", "store_id", "store_code", "store_name", "fence")},
                 detail={"via": via})
    return state.bridge_status(conn)


def enrol(read: Callable[[Callable[[sqlite3.Connection], Any]], Any],
          write: Callable[[Callable[[sqlite3.Connection], Any]], Any], data_dir: Path | str, actor: Actor, *,
          url: str, code: str, store_code: str | None = None, ca_pem: str | None = None, via: str = "code",
          link_factory: Callable[..., Any] = Link) -> dict[str, Any]:
    """Enrol this hub with HQ: refuse a demo database, call HQ, keep the token, record the rest."""
    import hub

    url, code = check_input(url, code)
    me = read(identity)
    if me["demo"]:
        raise DemoDatabaseError("a demo hub cannot be enrolled with HQ: set up the store with `soko-hub init`")
    body = {"code": code, "hub_id": me["hub_id"], "store_code": store_code or me["store_code"],
            "epoch": me["epoch"], "hub_version": hub.__version__, "schema_version": me["schema_version"]}
    link = link_factory(url, ca_pem=ca_pem, timeout=30.0)
    try:
        answer = link.enrol(body)
    except HQUnreachable as err:
        raise ConflictError(f"HQ at {url} could not be reached: {err}", code="hq_unreachable",
                            extra={"errors": [{"field": "hq_url", "message": "HQ could not be reached"}]}) from err
    except HQError as err:
        field = "hq_url" if err.code not in ("code_unknown", "code_expired", "code_used", "store_mismatch") else "code"
        raise EnrolmentRefused(f"HQ refused the enrolment: {err.code} ({err.body.get('detail') or err.status})",
                               code=err.code if err.code.startswith("code_") or err.code == "store_mismatch"
                               else "enrolment_refused",
                               extra={"errors": [{"field": field, "message": _why(err.code)}]}) from err
    finally:
        link.close()
    state.write_credentials(data_dir, {"token": answer["token"], "hq_url": url, "hub_id": me["hub_id"],
                                       "store_id": answer.get("store_id"), "fence": answer.get("fence"),
                                       "ca_pem": ca_pem})
    return write(lambda c: record(c, actor, url, answer, via=via))


def _why(code: str) -> str:
    return {"code_unknown": "HQ does not know this code", "code_expired": "this code has expired: ask HQ for a new one",
            "code_used": "this code was used already: ask HQ for a new one",
            "store_mismatch": "this code is for another store"}.get(code, f"HQ refused it ({code})")

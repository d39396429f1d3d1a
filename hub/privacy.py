"""Card numbers never enter the hub: every request body's free text is masked on the way in.

A cashier may type a card number into a tender's reference, a supervisor read one out into a
void's reason; the hub must not keep it (PCI DSS: a stored PAN puts the whole store in scope).
So at the HTTP boundary, before any handler decodes the body, each run of 13-19 digits (single
spaces or dashes between them allowed) that passes the Luhn check, inside a free-text field, has
every digit but its last four replaced by `*` -- `4111 1111 1111 1111` becomes
`**** **** **** 1111`, the same length, so the last four still match a slip. Codes (barcodes,
SKUs, pairing codes), secrets and loyalty card numbers are not free text and pass untouched.

The masking works on the raw bytes of JSON and form bodies, character for character, so the
body keeps its length. A till's sync upload signs each fact's payload with its SHA-256: when a
payload is masked, its `payload_hash` is recomputed -- only if the hash matched the payload as
sent, so a corrupt upload is still refused as one.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Awaitable, Callable

# Fields holding words a person typed (in any object, at any depth).
FREE_TEXT_KEYS = ("reference", "note", "notes", "reason", "comment", "comments", "memo", "remarks", "name",
                  "description", "display_name", "message", "detail", "void_reason")
_KEYS = "|".join(FREE_TEXT_KEYS)
# Where a JSON field can start: a quote, then a key and its closing quote (looked at, not taken,
# so a key whose opening quote closes the one before is found too).
_FIELD_START = re.compile(rb'"(?=(?:' + _KEYS.encode() + rb')")')
# The value is `(?:[^"\\]|\\.)*` unrolled (the same strings, matched several times faster).
_JSON_FIELD = re.compile(rb'"(?:' + _KEYS.encode() + rb')"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"')
_FORM_FIELD = re.compile(rb"(?:^|&)(?:" + _KEYS.encode() + rb")=([^&]*)")
_SEPARATOR = rb"(?:[ +-]|%20)"  # a space, a dash, or a space as a form encodes it
_CANDIDATE = re.compile(rb"(?<![0-9])[0-9](?:" + _SEPARATOR + rb"?[0-9]){12,18}(?![0-9])")
_DIGITS = b"0123456789"
_QUICK = re.compile(rb"[0-9](?:" + _SEPARATOR + rb"?[0-9]){12}")  # any body worth a closer look
MAX_MASKED_BODY = 8 * 1024 * 1024  # larger bodies (catalogue imports) pass untouched


def luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _mask_run(match: re.Match[bytes]) -> bytes:
    run = match.group()
    digits = re.sub(rb"[^0-9]", b"", run.replace(b"%20", b" ")).decode()
    if not (13 <= len(digits) <= 19 and luhn(digits)):
        return run
    out, seen, keep_from, i = bytearray(), 0, len(digits) - 4, 0
    while i < len(run):
        if run.startswith(b"%20", i):
            out += b"%20"
            i += 3
            continue
        ch = run[i:i + 1]
        if ch.isdigit():
            out += b"*" if seen < keep_from else ch
            seen += 1
        else:
            out += ch
        i += 1
    return bytes(out)


_UUID = re.compile(rb"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def mask_pans(text: bytes) -> bytes:
    """`text` with every card-number-like run masked (same length); digits of a UUID are not one."""
    ids = [m.span() for m in _UUID.finditer(text)]
    if not ids:
        return _CANDIDATE.sub(_mask_run, text)

    def unless_an_id(match: re.Match[bytes]) -> bytes:
        start, end = match.span()
        if any(a < end and start < b for a, b in ids):
            return match.group()
        return _mask_run(match)

    return _CANDIDATE.sub(unless_an_id, text)


def _mask_fields(body: bytes, field: re.Pattern[bytes]) -> bytes:
    def one(match: re.Match[bytes]) -> bytes:
        start, end = match.span(1)
        whole_start = match.start()
        value = match.group(1)
        masked = mask_pans(value)
        if masked == value:
            return match.group()
        return match.group()[:start - whole_start] + masked + match.group()[end - whole_start:]

    return field.sub(one, body)


def _payload_hash(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _rehash_events(original: bytes, masked: bytes) -> bytes:
    """A sync upload's masked payloads get their hash again (those whose hash matched as sent)."""
    try:
        before, after = json.loads(original), json.loads(masked)
        pairs = zip(before.get("events") or [], after.get("events") or [])
    except (ValueError, AttributeError, TypeError):
        return masked
    for old, new in pairs:
        try:
            stated = str(old["payload_hash"])
            if old["payload"] != new["payload"] and _payload_hash(old["payload"]).lower() == stated.lower():
                fresh = _payload_hash(new["payload"])
                masked = masked.replace(stated.encode(), fresh.encode(), 1)
        except (KeyError, TypeError):
            continue
    return masked


def _mask_json_fields(body: bytes) -> bytes:
    """`_mask_fields(body, _JSON_FIELD)`, found faster: a field can only start where one of the
    keys stands quoted, so only those places are tried, left to right, each skipped when inside
    the field matched before, exactly as `re.sub` scans. A sale's body (4 KiB of ids and amounts,
    digit runs everywhere) took ~500 µs the other way, on the event loop; this ~60 µs."""
    parts: list[bytes] = []
    copied = resume = 0
    for start in (m.start() for m in _FIELD_START.finditer(body)):
        if start < resume:
            continue
        match = _JSON_FIELD.match(body, start)
        if match is None:
            continue
        resume = match.end()
        value = match.group(1)
        if len(value) - len(value.translate(None, _DIGITS)) < 13 or not _QUICK.search(value):
            continue  # fewer than 13 digits: no card number
        masked = mask_pans(value)
        if masked != value:
            parts += [body[copied:match.start(1)], masked]
            copied = match.end(1)
    return b"".join(parts) + body[copied:] if parts else body


def mask_body(content_type: str, body: bytes) -> bytes:
    """The body with card numbers masked in its free-text fields (the same bytes when there are none)."""
    if "json" in content_type:
        masked = _mask_json_fields(body)
        if masked != body and b'"payload_hash"' in body:
            masked = _rehash_events(body, masked)
        return masked
    if "x-www-form-urlencoded" in content_type and _QUICK.search(body):
        return _mask_fields(body, _FORM_FIELD)
    return body


Receive = Callable[[], Awaitable[dict]]


def masking_receive(scope: dict, receive: Receive) -> Receive:
    """`receive` for one request whose body reaches the app with card numbers masked: the body is
    gathered first (up to MAX_MASKED_BODY; past that it streams on untouched)."""
    content_type = next((v.decode("latin-1").lower() for k, v in scope.get("headers", ()) if k == b"content-type"), "")
    if scope.get("method") not in ("POST", "PUT", "PATCH") or not (
            "json" in content_type or "x-www-form-urlencoded" in content_type):
        return receive
    pending: list[dict] = []
    started = False

    async def wrapped() -> dict:
        nonlocal started
        if started:
            return pending.pop(0) if pending else await receive()
        started = True
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if not message.get("more_body") or size > MAX_MASKED_BODY:
                break
        last = messages[-1]
        if last["type"] == "http.request" and not last.get("more_body"):
            body = b"".join(m.get("body", b"") for m in messages)
            return {"type": "http.request", "body": mask_body(content_type, body), "more_body": False}
        pending.extend(messages[1:])
        return messages[0]

    return wrapped

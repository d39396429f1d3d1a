"""No card number is kept: a sale whose free text carries card-number-like strings (a tender's
reference, a void's reason, a line typed by hand) leaves no Luhn-valid run of 13-19 digits in the
database file, its WAL, a backup, or the log."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from tests.sales.build import line
from tests.sales.recipes import SALES, Till

CARDS = ["4111 1111 1111 1111", "5500-0055-5555-5559", "378282246310005", "4012888888881881"]
# 13-19 digits in a row, or groups of four (the last 1-4 long) split by one space or dash
PAN_LIKE = re.compile(rb"(?<![0-9])(?:[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?|"
                      rb"[0-9]{4}[ -][0-9]{6}[ -][0-9]{5})(?![0-9])")


def luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


HEX = re.compile(rb"[0-9a-fA-F]+")


def _inside_a_digest(data: bytes, start: int, end: int) -> bool:
    """Digits within a long hex string (a token hash, the audit chain, a key) are not a card number."""
    while start > 0 and data[start - 1:start] and HEX.fullmatch(data[start - 1:start]):
        start -= 1
    while end < len(data) and HEX.fullmatch(data[end:end + 1]):
        end += 1
    return end - start >= 32


UUID = re.compile(rb"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def pans_in(data: bytes) -> list[str]:
    found = []
    ids = [m.span() for m in UUID.finditer(data)]
    for match in PAN_LIKE.finditer(data):
        start, end = match.span()
        if _inside_a_digest(data, start, end) or any(a < end and start < b for a, b in ids):
            continue
        digits = re.sub(rb"[^0-9]", b"", match.group()).decode()
        if 13 <= len(digits) <= 19 and luhn(digits):
            found.append(digits)
    return found


def test_the_scan_finds_what_it_looks_for():
    assert all(luhn(re.sub(r"\D", "", c)) for c in CARDS)
    text = ("x" + " y ".join(CARDS) + " 2026-11-26T10:00:00.000000Z 01934567-1234-7123-8123-123456789012").encode()
    assert pans_in(text) == [re.sub(r"\D", "", c) for c in CARDS]
    assert pans_in(b"4111111111111112 12345") == []
    assert pans_in(b"22b70449b93ae8e7b4bed1209442261109f5a512755899fee353e75dea300310") == []  # a digest
    assert pans_in(b"card4111111111111111.") == ["4111111111111111"]
    assert pans_in(b'"abcd1623-2571-6202-2abc-def012345678"') == []  # a UUID's digits (Luhn-valid here)


def test_no_card_number_reaches_the_database_a_backup_or_the_log(hub, caplog):
    caplog.set_level(logging.DEBUG)
    till = Till(hub)
    card = {"method": "card", "currency": "USD", "amount": 150, "reference": CARDS[0]}
    sold = till.sell(till.body([line(150, tax_rate_bp=0, name=f"card {CARDS[1]}")], [card]))
    keyed = till.sell(till.body([line(150, tax_rate_bp=0)], [{**card, "reference": CARDS[2]}]))
    supervisor = hub.as_user("supervisor")
    r = supervisor.post(f"{SALES}/{keyed['id']}/void", json={"reason": f"customer read out {CARDS[3]}"})
    assert r.status_code == 200, r.text
    shown = hub.as_user("admin").get(f"{SALES}/{sold['id']}").json()
    assert CARDS[0][-4:] in str(shown)  # the last four digits stay, to match a slip
    backup = hub.as_user("admin").post("/api/v1/backups")
    assert backup.status_code == 201, backup.text

    data_dir = Path(hub.server.settings.data_dir)
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".db-wal") or p.name == "hub.db" for p in files)
    found = {str(p.relative_to(data_dir)): pans_in(p.read_bytes()) for p in files}
    found["log"] = pans_in(caplog.text.encode())
    assert not {k: v for k, v in found.items() if v}, found


# ---- the masking itself (hub.privacy) ------------------------------------------------------------

def test_card_numbers_are_masked_to_their_last_four_and_other_digits_are_not():
    from hub.privacy import mask_pans

    assert mask_pans(b"card 4111 1111 1111 1111 ok") == b"card **** **** **** 1111 ok"
    assert mask_pans(b"5500-0055-5555-5559") == b"****-****-****-5559"
    assert mask_pans(b"378282246310005") == b"***********0005"
    assert mask_pans(b"4111+1111+1111+1111") == b"****+****+****+1111"
    assert mask_pans(b"4111%201111%201111%201111") == b"****%20****%20****%201111"
    assert mask_pans(b"id abcd1623-2571-6202-2abc-def012345678") == b"id abcd1623-2571-6202-2abc-def012345678"
    for kept in (b"4111111111111112", b"6001234567890 12", b"123456789012", b"+263 77 123 4567",
                 b"41111111111111111111"):  # fails Luhn, a barcode that fails it, too short, a phone, too long
        assert mask_pans(kept) == kept


def test_only_free_text_fields_are_masked_and_the_body_keeps_its_length():
    from hub.privacy import mask_body

    body = json.dumps({"code": "4111111111111111", "password": "4111111111111111",
                       "tenders": [{"reference": "4111111111111111"}], "reason": "read out 4012888888881881",
                       "card": "4111111111111111"}).encode()
    masked = mask_body("application/json", body)
    assert len(masked) == len(body)
    got = json.loads(masked)
    assert got["code"] == got["password"] == got["card"] == "4111111111111111"
    assert got["tenders"][0]["reference"] == "************1111"
    assert got["reason"] == "read out ************1881"
    form = b"csrf=4111111111111111&reason=card+4111+1111+1111+1111"
    assert mask_body("application/x-www-form-urlencoded", form) == b"csrf=4111111111111111&reason=card+****+****+****+1111"


def test_json_masking_finds_exactly_the_fields_a_plain_regex_substitution_finds():
    """The JSON path only tries the places where a key stands quoted; on any bytes it must mask
    what one left-to-right `re.sub` of the field pattern masks, no more and no less."""
    import random
    import re

    from hub.privacy import FREE_TEXT_KEYS, mask_body, mask_pans

    keys = "|".join(FREE_TEXT_KEYS).encode()
    plain = re.compile(rb'"(?:' + keys + rb')"\s*:\s*"((?:[^"\\]|\\.)*)"')

    def reference(body: bytes) -> bytes:
        def one(m: re.Match[bytes]) -> bytes:
            return m.group()[:m.start(1) - m.start()] + mask_pans(m.group(1)) + m.group()[m.end(1) - m.start():]
        return plain.sub(one, body)

    pieces = [b'"name"', b'"note"', b'"notes"', b'"reference"', b'"reason":"', b'"name"note"', b":", b" ", b'"',
              b"\\", b'\\"', b"\n", b"4111 1111 1111 1111", b"4111-1111-1111-1111", b"5500005555555559", b"12",
              b"0190f0a0-0000-7000-8000-000000000009", b"x", b",", b"{", b"}"]
    rng = random.Random(2026)
    for _ in range(5000):
        body = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert mask_body("application/json", body) == reference(body), body


def test_a_masked_sync_payload_is_hashed_again_only_when_its_hash_matched():
    from hub.privacy import mask_body
    from hub.sync.upload import payload_hash

    payload = {"tenders": [{"method": "card", "reference": "4111 1111 1111 1111"}], "total": 150}
    good = {"event_id": "e1", "payload_hash": payload_hash(payload), "payload": payload}
    corrupt = {"event_id": "e2", "payload_hash": "0" * 64, "payload": payload}
    body = json.dumps({"events": [good, corrupt]}).encode()
    got = json.loads(mask_body("application/json", body))
    first, second = got["events"]
    assert first["payload"]["tenders"][0]["reference"] == "**** **** **** 1111"
    assert first["payload_hash"] == payload_hash(first["payload"])  # the hub takes it
    assert second["payload_hash"] == "0" * 64  # still refused as corrupt

"""The pure parts of customers: how names and phones compare (search, duplicate warnings)."""

from __future__ import annotations

from hub.db.customers import name_key, phone_key


def test_a_phone_is_its_digits_with_a_leading_zero_read_as_zimbabwe():
    assert phone_key("077 123 4567") == phone_key("+263 77 123 4567") == phone_key("00263771234567") == "263771234567"
    assert phone_key("") == "" and phone_key("ext. 12") == "12"


def test_a_name_compares_without_case_accents_or_punctuation():
    assert name_key("  Chipo  NDLOVU ") == "chipo ndlovu"
    assert name_key("Zoë's Café (Pvt) Ltd.") == "zoe s cafe pvt ltd"
    assert name_key("!!!") == ""

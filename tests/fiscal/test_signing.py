"""Signature strings, hashes, signatures and QR against the vectors of ../shared/fiscal/ZIMRA-FDMS.md."""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hub.fiscal import signing as s
from hub.fiscal.signing import Counter, ReceiptTax

PREV = "hNVJXP/ACOiE8McD3pKsDlqBXpuaUqQOfPnMyfZWI9k="


def test_the_clean_credit_note_vector_is_reproduced_from_fields():
    taxes = [ReceiptTax(3, Decimal("14.5"), -300, -2300), ReceiptTax(1, None, 0, -700),
             ReceiptTax(2, Decimal("0"), 0, -1000)]  # given out of order: sorted by taxID
    text = s.receipt_string(322, "CreditNote", "usd", 85, "2020-09-19T09:23:07", -4035, taxes, PREV)
    assert text == ("322CREDITNOTEUSD852020-09-19T09:23:07-40350-7000.000-100014.50-300-2300"
                    "hNVJXP/ACOiE8McD3pKsDlqBXpuaUqQOfPnMyfZWI9k=")
    assert s.sha256_b64(text) == "F9/QB0vhxQlEF2nk+oebwP8V+qBcNlOFvoTeE/1QxPc="


def test_the_synthetic_invoice_vector():
    text = s.receipt_string(41872, "FiscalInvoice", "USD", 17, "2026-05-03T12:30:45", 2375,
                            [ReceiptTax(517, Decimal("15"), 310, 2375)], "prevhash")
    assert text == "41872FISCALINVOICEUSD172026-05-03T12:30:45237515.003102375prevhash"
    assert s.sha256_b64(text) == "RvITo69xmzooX78ByYk9fPREOW9aU5FzBdmNSmKL3W0="


def test_the_first_receipt_of_a_day_has_no_previous_hash_and_tax_code_sorts_after_id():
    text = s.receipt_string(5, "DebitNote", "ZWG", 1, "2026-01-02T03:04:05", 5,
                            [ReceiptTax(2, Decimal("15.5"), 1, 5, "B"), ReceiptTax(2, Decimal("15.5"), 0, 0, "")],
                            None)
    assert text == "5DEBITNOTEZWG12026-01-02T03:04:05515.5000B15.5015"


@pytest.mark.parametrize("cents, text", [(50000, "50000"), (1234, "1234"), (5, "5"), (-945000, "-945000"),
                                         (0, "0")])
def test_money_is_integer_cents_with_its_sign(cents, text):
    assert s.receipt_string(1, "FiscalInvoice", "USD", 1, "2026-01-01T00:00:00", cents, [], None).endswith(text)


@pytest.mark.parametrize("percent, text", [(15, "15.00"), (Decimal("14.5"), "14.50"), (0, "0.00"), (None, ""),
                                           ("15.5", "15.50")])
def test_percent_has_two_decimals_and_exempt_is_empty(percent, text):
    assert s.percent_text(percent) == text


def test_cents_from_other_decimals_are_exact():
    assert s.to_cents(1234, 2) == 1234 and s.to_cents(12, 0) == 1200 and s.to_cents(12340, 3) == 1234
    with pytest.raises(ValueError):
        s.to_cents(12345, 3)
    assert s.percent_from_bp(1550) == Decimal("15.50") and s.money(-945000) == Decimal("-9450.00")


def test_the_empty_fiscal_day_vector():
    text = s.fiscal_day_string(1062, 617, "2024-09-02", [Counter("SaleByTax", "USD", 0, 1, None)])
    assert text == "10626172024-09-02"
    assert s.sha256_b64(text) == "vi9+Dvh6hl8GEHGljbPjjD8B4zeBOY5HiaO+Y82ViEk="


def test_day_counters_follow_enum_order_currency_then_tax_id_or_money_type_enum_and_skip_zero():
    counters = [
        Counter("BalanceByMoneyType", "USD", 1500, money_type="MobileWallet"),
        Counter("BalanceByMoneyType", "USD", 3700, money_type="Cash"),
        Counter("BalanceByMoneyType", "USD", 0, money_type="Card"),
        Counter("SaleTaxByTax", "USD", 500, 3, Decimal("15")),
        Counter("SaleByTax", "ZWG", 1000, 2, Decimal("0")),
        Counter("SaleByTax", "USD", 2300, 3, Decimal("15")),
        Counter("SaleByTax", "USD", 1000, 1, None),
        Counter("CreditNoteByTax", "USD", -200, 3, Decimal("15")),
    ]
    text = s.fiscal_day_string(321, 84, "2019-09-23", counters)
    assert text == ("321842019-09-23SALEBYTAXUSD1000SALEBYTAXUSD15.002300SALEBYTAXZWG0.001000"
                    "SALETAXBYTAXUSD15.00500CREDITNOTEBYTAXUSD15.00-200"
                    "BALANCEBYMONEYTYPEUSDCASH3700BALANCEBYMONEYTYPEUSDMOBILEWALLET1500")
    assert "USDL" not in text


def test_the_spec_server_signature_hash_recomputes():  # §13.2.2, the hash of a plain concatenation
    text = ("YyXTSizBBrMjMk4VQL+sCNr+2AC6aQbDAn9JMV2rk3yJ6MDZwie0wqQW3oisNWrMkeZsuAyFSnFkU2A+pKm91sOHVdjeRBebjQgAQQIM"
            "TCVIcYrx+BizQ7Ib9iCdsVI+Jel2nThqQiQzfRef6EgtgsaIAN+PV55xSrHvPkIe+Bc=" "48377" "2019-09-19T15:43:12")
    assert s.sha256_b64(text) == "JQoIo/AgOsvm+PUQpvlQ/U7YMei3m/jbygNrBVfz6Sg="


@pytest.mark.parametrize("algorithm", ["ecdsa", "rsa"])
def test_signatures_verify_and_ecdsa_is_der(algorithm):
    key = s.generate_key(algorithm)
    text = "322CREDITNOTEUSD85"
    signed = s.signature_data(key, text)
    assert signed["hash"] == s.sha256_b64(text)
    assert s.verify(key.public_key(), text, signed["signature"])
    assert not s.verify(key.public_key(), text + "x", signed["signature"])
    raw = base64.b64decode(signed["signature"])
    if algorithm == "ecdsa":
        assert isinstance(key, ec.EllipticCurvePrivateKey) and raw[0] == 0x30  # DER SEQUENCE, not raw r||s
    else:
        assert isinstance(key, rsa.RSAPrivateKey) and len(raw) == 256


def test_qr_and_verification_code():
    sig = base64.b64encode(b"any signature bytes").decode()
    md5 = hashlib.md5(b"any signature bytes").hexdigest().upper()
    url = s.qr_url("https://fdmstest.zimra.co.zw", 321, "2023-04-03T11:12:22", 3331, sig)
    assert url == f"https://fdmstest.zimra.co.zw/0000000321030420230000003331{md5[:16]}"
    assert s.verification_code(sig) == f"{md5[0:4]}-{md5[4:8]}-{md5[8:12]}-{md5[12:16]}"
    assert s.qr_url("https://x.zw/", 1, "2023-04-03T00:00:00", 1, sig).startswith("https://x.zw/0000000001")


@pytest.mark.parametrize("algorithm", ["ecdsa", "rsa"])
def test_the_csr_has_the_exact_subject(algorithm):
    assert s.csr_common_name("SN: 001", 187) == "ZIMRA-SN: 001-0000000187"
    assert s.csr_common_name("SN0001", 42) == "ZIMRA-SN0001-0000000042"
    csr = x509.load_pem_x509_csr(s.make_csr(s.generate_key(algorithm), "SN0001", 42).encode())
    assert csr.is_signature_valid
    assert csr.subject.rfc4514_string() == ("CN=ZIMRA-SN0001-0000000042,O=Zimbabwe Revenue Authority,"
                                            "ST=Zimbabwe,C=ZW")

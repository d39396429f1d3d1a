"""ZIMRA FDMS signature strings, hashes, signatures, QR and verification code, pure
(../shared/fiscal/ZIMRA-FDMS.md sections 3-5; spec v7.2 §11, §13).

Amounts arrive as integer cents (FDMS amounts are Decimal(21,2); the hub's money is integer minor
units, `to_cents` rescales a currency with other decimals exactly). No float ever reaches a string.

- Receipt string (§13.2.1): deviceID ‖ RECEIPTTYPE ‖ CURRENCY ‖ receiptGlobalNo ‖ receiptDate ‖
  receiptTotal(cents) ‖ taxes ‖ previousReceiptHash; each tax `taxCode ‖ taxPercent(2 dp, empty
  when exempt) ‖ taxAmount(cents) ‖ salesAmountWithTax(cents)`, sorted by taxID then taxCode; the
  previous hash is the DEVICE hash of the day's previous receipt, omitted when receiptCounter = 1.
- Fiscal day string (§13.3.1): deviceID ‖ fiscalDayNo ‖ day OPENED date (YYYY-MM-DD) ‖ non-zero
  counters ordered by counter type enum, currency, taxID / money type enum. No "L" after the
  currency (the spec example's `USDL` is a documented typo; the safe reading every working
  implementation uses).
- hash = base64(SHA-256(UTF-8 string)); signature = base64 of ECDSA-P256-SHA256 in ASN.1 DER
  (raw r‖s is reported rejected) or RSA PKCS#1 v1.5 SHA-256, over the same string.
- QR (§11): qrUrl + "/" + deviceID(10) + ddMMyyyy + globalNo(10) + first 16 hex of MD5 over the raw
  signature bytes, upper case (the spec's examples are upper case); verification code XXXX-XXXX-XXXX-XXXX.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

RECEIPT_TYPES = ("FiscalInvoice", "CreditNote", "DebitNote")
COUNTER_TYPES = ("SaleByTax", "SaleTaxByTax", "CreditNoteByTax", "CreditNoteTaxByTax", "DebitNoteByTax",
                 "DebitNoteTaxByTax", "BalanceByMoneyType")
MONEY_TYPES = ("Cash", "Card", "MobileWallet", "Coupon", "Credit", "BankTransfer", "Other")


def to_cents(amount: int, decimals: int) -> int:
    """An amount in a currency's minor units (`decimals` places) as FDMS cents (2 places), exact."""
    if decimals == 2:
        return amount
    if decimals < 2:
        return amount * 10 ** (2 - decimals)
    scale = 10 ** (decimals - 2)
    if amount % scale:
        raise ValueError(f"{amount} (with {decimals} decimals) is not a whole number of cents")
    return amount // scale


def money(cents: int) -> Decimal:
    """Cents as the Decimal FDMS reads in JSON (12.34)."""
    return Decimal(cents).scaleb(-2)


def percent_text(percent: Decimal | str | int | None) -> str:
    """taxPercent in a signature string: two decimals with a dot; exempt (None) is empty."""
    if percent is None:
        return ""
    return f"{Decimal(str(percent)).quantize(Decimal('0.01')):f}"


def percent_from_bp(rate_bp: int | None) -> Decimal | None:
    """A rate in basis points (1550) as the FDMS percent (15.50)."""
    return None if rate_bp is None else Decimal(rate_bp).scaleb(-2).quantize(Decimal("0.01"))


def sha256_b64(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


@dataclass(frozen=True)
class ReceiptTax:
    tax_id: int
    tax_percent: Decimal | None  # None: exempt
    tax_amount: int  # cents, signed
    sales_amount_with_tax: int  # cents, signed
    tax_code: str = ""


def sorted_taxes(taxes: Iterable[ReceiptTax]) -> list[ReceiptTax]:
    """By taxID ascending, then taxCode (an empty code sorts first)."""
    return sorted(taxes, key=lambda t: (t.tax_id, t.tax_code))


def receipt_string(device_id: int, receipt_type: str, currency: str, global_no: int, receipt_date: str,
                   total_cents: int, taxes: Sequence[ReceiptTax], previous_hash: str | None) -> str:
    """The receipt device signature string (§13.2.1). `previous_hash` None for the day's first receipt."""
    if receipt_type not in RECEIPT_TYPES:
        raise ValueError(f"unknown receipt type {receipt_type}")
    parts = [str(int(device_id)), receipt_type.upper(), currency.upper(), str(int(global_no)), receipt_date,
             str(int(total_cents))]
    for t in sorted_taxes(taxes):
        parts += [t.tax_code, percent_text(t.tax_percent), str(int(t.tax_amount)), str(int(t.sales_amount_with_tax))]
    if previous_hash is not None:
        parts.append(previous_hash)
    return "".join(parts)


@dataclass(frozen=True)
class Counter:
    counter_type: str  # COUNTER_TYPES
    currency: str
    value: int  # cents, signed
    tax_id: int | None = None  # *ByTax
    tax_percent: Decimal | None = None  # *ByTax; None when exempt
    money_type: str | None = None  # BalanceByMoneyType

    def sort_key(self) -> tuple:
        if self.counter_type == "BalanceByMoneyType":
            third = MONEY_TYPES.index(self.money_type or "Other")
        else:
            third = self.tax_id if self.tax_id is not None else -1
        return COUNTER_TYPES.index(self.counter_type), self.currency.upper(), third

    def text(self) -> str:
        middle = (self.money_type or "").upper() if self.counter_type == "BalanceByMoneyType" \
            else percent_text(self.tax_percent)
        return f"{self.counter_type.upper()}{self.currency.upper()}{middle}{int(self.value)}"


def ordered_counters(counters: Iterable[Counter]) -> list[Counter]:
    """Non-zero counters only (zero ones are neither sent nor signed), in the spec's order."""
    return sorted((c for c in counters if c.value != 0), key=Counter.sort_key)


def fiscal_day_string(device_id: int, day_no: int, day_opened_date: str, counters: Iterable[Counter]) -> str:
    """The closeDay device signature string (§13.3.1); `day_opened_date` is YYYY-MM-DD of the OPENING."""
    return f"{int(device_id)}{int(day_no)}{day_opened_date}" + "".join(c.text() for c in ordered_counters(counters))


# ---- keys and signatures -------------------------------------------------------------------------

def generate_key(algorithm: str = "ecdsa") -> PrivateKeyTypes:
    """ECDSA P-256 (preferred by the spec) or RSA 2048."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if algorithm == "ecdsa":
        return ec.generate_private_key(ec.SECP256R1())
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"unknown key algorithm {algorithm}")


def sign(key: PrivateKeyTypes, text: str) -> str:
    """base64 signature over the UTF-8 string: ECDSA-SHA256 DER, or RSA PKCS#1 v1.5 SHA-256."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    data = text.encode("utf-8")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        raw = key.sign(data, ec.ECDSA(hashes.SHA256()))  # DER-encoded (r, s)
    elif isinstance(key, rsa.RSAPrivateKey):
        raw = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        raise ValueError("only ECDSA P-256 and RSA keys sign FDMS documents")
    return base64.b64encode(raw).decode()


def verify(public_key: PublicKeyTypes, text: str, signature_b64: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    try:
        raw = base64.b64decode(signature_b64, validate=True)
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(raw, text.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(raw, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def signature_data(key: PrivateKeyTypes, text: str) -> dict[str, str]:
    """SignatureData {hash, signature} of a signature string."""
    return {"hash": sha256_b64(text), "signature": sign(key, text)}


# ---- QR and verification code --------------------------------------------------------------------

def qr_data(signature_b64: str) -> str:
    """receiptQrData: the first 16 hex characters (upper case) of MD5 over the raw signature bytes."""
    return hashlib.md5(base64.b64decode(signature_b64)).hexdigest()[:16].upper()  # noqa: S324 (spec-mandated)


def qr_url(base_url: str, device_id: int, receipt_date: str, global_no: int, signature_b64: str) -> str:
    """The QR content: qrUrl + "/" + deviceID(10) + ddMMyyyy + receiptGlobalNo(10) + receiptQrData."""
    year, month, day = receipt_date[:10].split("-")
    return (f"{base_url.rstrip('/')}/{int(device_id):010d}{day}{month}{year}{int(global_no):010d}"
            f"{qr_data(signature_b64)}")


def verification_code(signature_b64: str) -> str:
    """The printed verification code: the QR data in four groups of four joined by '-'."""
    data = qr_data(signature_b64)
    return "-".join(data[i:i + 4] for i in range(0, 16, 4))


def csr_common_name(serial_no: str, device_id: int) -> str:
    """The CSR subject CN the spec requires: ZIMRA-<deviceSerialNo>-<deviceID zero-padded to 10>."""
    return f"ZIMRA-{serial_no}-{int(device_id):010d}"


def make_csr(key: PrivateKeyTypes, serial_no: str, device_id: int) -> str:
    """PKCS#10 PEM with the exact subject: CN as above plus C=ZW, O=Zimbabwe Revenue Authority,
    ST=Zimbabwe (optional fields; given exactly as the spec names them, never anything else)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ZW"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Zimbabwe"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Zimbabwe Revenue Authority"),
        x509.NameAttribute(NameOID.COMMON_NAME, csr_common_name(serial_no, device_id)),
    ])
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.PEM).decode()

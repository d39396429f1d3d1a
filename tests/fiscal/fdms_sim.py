"""A local ZIMRA FDMS (Fiscal Device Gateway API v7.2) for tests: HTTPS on 127.0.0.1 with client
certificates from its own test CA, checking what FDMS checks (../shared/fiscal/ZIMRA-FDMS.md).

It shares NO code with the hub (tests/fiscal/test_fdms_sim.py parses this file's imports): every
string, hash, signature check, counter and validation rule is written again here from the spec,
reading the receipt JSON as FDMS does, so a mistake in the hub's signer cannot hide in both.

    sim = FdmsSim(tmp_path); sim.add_device(321, "SN0001", "ABCD1234"); sim.start() ... sim.stop()

Close is processed at once (FDMS does it asynchronously: the client polls getStatus either way).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import re
import ssl
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TYPES = ["FiscalInvoice", "CreditNote", "DebitNote"]
COUNTERS = ["SaleByTax", "SaleTaxByTax", "CreditNoteByTax", "CreditNoteTaxByTax", "DebitNoteByTax",
            "DebitNoteTaxByTax", "BalanceByMoneyType"]
MONEY = ["Cash", "Card", "MobileWallet", "Coupon", "Credit", "BankTransfer", "Other"]
RED_CODES = {"RCPT010", "RCPT011", "RCPT012", "RCPT013", "RCPT015", "RCPT016", "RCPT017", "RCPT018", "RCPT019",
             "RCPT020", "RCPT021", "RCPT022", "RCPT023", "RCPT024", "RCPT025", "RCPT026", "RCPT027", "RCPT028",
             "RCPT029", "RCPT030", "RCPT032", "RCPT033", "RCPT034", "RCPT035", "RCPT036", "RCPT037", "RCPT038",
             "RCPT039", "RCPT040", "RCPT042", "RCPT043", "RCPT047", "RCPT048"}
YELLOW_CODES = {"RCPT014", "RCPT031", "RCPT041"}
FMT = "%Y-%m-%dT%H:%M:%S"
CENT = Decimal("0.01")


# ---- the spec's strings, again, from the JSON ------------------------------------------------

def cents(value: Any) -> str:
    return str(int((Decimal(str(value)) * 100).to_integral_value()))


def pct(value: Any) -> str:
    return "" if value is None else str(Decimal(str(value)).quantize(CENT))


def b64sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def receipt_text(device_id: int, r: dict, previous_hash: str | None) -> str:
    taxes = sorted(r.get("receiptTaxes") or [], key=lambda t: (int(t["taxID"]), t.get("taxCode") or ""))
    out = f"{device_id}{r['receiptType'].upper()}{r['receiptCurrency'].upper()}{r['receiptGlobalNo']}" \
          f"{r['receiptDate']}{cents(r['receiptTotal'])}"
    for t in taxes:
        out += f"{t.get('taxCode') or ''}{pct(t.get('taxPercent'))}{cents(t['taxAmount'])}" \
               f"{cents(t['salesAmountWithTax'])}"
    return out + (previous_hash or "")


def day_text(device_id: int, day_no: int, opened: str, counters: list[dict]) -> str:
    def key(c: dict) -> tuple:
        third = MONEY.index(c["fiscalCounterMoneyType"]) if c["fiscalCounterType"] == "BalanceByMoneyType" \
            else int(c.get("fiscalCounterTaxID") or 0)
        return COUNTERS.index(c["fiscalCounterType"]), c["fiscalCounterCurrency"].upper(), third

    out = f"{device_id}{day_no}{opened[:10]}"
    for c in sorted((c for c in counters if Decimal(str(c["fiscalCounterValue"])) != 0), key=key):
        middle = c["fiscalCounterMoneyType"].upper() if c["fiscalCounterType"] == "BalanceByMoneyType" \
            else pct(c.get("fiscalCounterTaxPercent"))
        out += f"{c['fiscalCounterType'].upper()}{c['fiscalCounterCurrency'].upper()}{middle}" \
               f"{cents(c['fiscalCounterValue'])}"
    return out


def check_signature(cert: x509.Certificate, text: str, signature_b64: str) -> bool:
    key = cert.public_key()
    try:
        raw = base64.b64decode(signature_b64, validate=True)
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, text.encode(), ec.ECDSA(hashes.SHA256()))  # DER only: raw r||s fails here
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, text.encode(), padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


# ---- state ------------------------------------------------------------------------------------

@dataclass
class Device:
    device_id: int
    serial: str
    activation_key: str
    model: tuple[str, str] = ("Server", "v1")
    cert: x509.Certificate | None = None
    mode: str = "Online"
    day_no: int = 0
    day_status: str = "FiscalDayClosed"
    day_opened: str = ""
    closing_error: str | None = None
    last_global_no: int = 0
    receipts: dict[int, dict] = field(default_factory=dict)  # global no -> stored receipt
    day_receipts: list[int] = field(default_factory=list)  # global nos of the open day in arrival order
    closed_days: dict[int, dict] = field(default_factory=dict)
    renewals: int = 0


class Problem(Exception):
    def __init__(self, status: int, code: str | None, title: str):
        super().__init__(title)
        self.status, self.code, self.title = status, code, title


class FdmsSim:
    def __init__(self, directory: Path, *, tz: str = "Africa/Harare", vat: bool = True,
                 taxes: list[dict] | None = None, qr_url: str = "https://fdmstest.zimra.co.zw",
                 currencies: tuple[str, ...] = ("USD", "ZWG"), day_max_hrs: int = 24):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.tz = ZoneInfo(tz)
        self.vat = vat
        self.taxes = taxes if taxes is not None else [
            {"taxID": 1, "taxName": "Exempt", "validFrom": "2023-01-01", "validTill": None},
            {"taxID": 2, "taxPercent": 0, "taxName": "Zero rated 0%", "validFrom": "2023-01-01", "validTill": None},
            {"taxID": 517, "taxPercent": 15.5, "taxName": "Standard rated 15.5%", "validFrom": "2023-01-01",
             "validTill": None}]
        self.qr_url = qr_url
        self.currencies = set(currencies)
        self.day_max_hrs = day_max_hrs
        self.day_end_notification_hrs = 2
        self.cert_days = 3 * 365  # how long the device certificates it issues are valid (observed: 3 years)
        self.tolerance = dt.timedelta(minutes=5)  # AllowedTimeDifferenceForReceiptSubmission (server setting)
        self.clock_offset = dt.timedelta(0)  # FDMS's clock ahead of the machine's (tests that advance time)
        self.files: dict[int, list[dict]] = {}  # device id -> submitFile uploads in arrival order
        self.lose_answers = 0  # process the next N requests but answer 503 (the answer lost on the way)
        self.devices: dict[int, Device] = {}
        self.invoice_numbers: set[str] = set()
        self.calls: list[tuple[str, int, dict]] = []  # (operation, http status, request body)
        self.fail_next: list[int] = []  # HTTP statuses to answer instead, one per request
        self.down = False  # answer 503 to everything (FDMS lost) until set back
        self.lock = threading.Lock()
        self._next_receipt_id = 1000
        self._ca()
        self.server: ThreadingHTTPServer | None = None

    # -- certificates
    def _ca(self) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ZIMRA_CA test sim")])
        self.ca_cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                        .public_key(self.ca_key.public_key()).serial_number(x509.random_serial_number())
                        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
                        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                        .sign(self.ca_key, hashes.SHA256()))
        self.ca_path = self.dir / "sim-ca.pem"
        self.ca_path.write_bytes(self.ca_cert.public_bytes(serialization.Encoding.PEM))
        key = ec.generate_private_key(ec.SECP256R1())
        server = (x509.CertificateBuilder()
                  .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
                  .issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                  .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
                  .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                 critical=False)
                  .sign(self.ca_key, hashes.SHA256()))
        (self.dir / "sim-server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
        (self.dir / "sim-server.key").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    def _issue(self, csr: x509.CertificateSigningRequest) -> x509.Certificate:
        now = dt.datetime.now(dt.timezone.utc)
        return (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(self.ca_cert.subject)
                .public_key(csr.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=self.cert_days))
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .sign(self.ca_key, hashes.SHA256()))

    # -- lifecycle
    def add_device(self, device_id: int, serial: str, activation_key: str, **kw: Any) -> Device:
        self.devices[device_id] = Device(device_id, serial, activation_key, **kw)
        return self.devices[device_id]

    def start(self) -> "FdmsSim":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.dir / "sim-server.pem", self.dir / "sim-server.key")
        ctx.load_verify_locations(cafile=str(self.ca_path))
        ctx.verify_mode = ssl.CERT_OPTIONAL  # public endpoints take no client certificate
        sim = self

        class Handler(_Handler):
            pass

        Handler.sim = sim
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, name="fdms-sim", daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def now(self) -> dt.datetime:
        return (dt.datetime.now(self.tz) + self.clock_offset).replace(tzinfo=None, microsecond=0)

    # -- operations
    def handle(self, method: str, path: str, headers: Any, body: dict, peer: x509.Certificate | None) -> dict:
        m = re.fullmatch(r"/(Public|Device)/v1/(\d+)/(\w+)", path)
        if not m:
            raise Problem(404, None, "unknown endpoint")
        area, device_id, op = m.group(1), int(m.group(2)), m.group(3)
        device = self.devices.get(device_id)
        if not headers.get("DeviceModelName") or not headers.get("DeviceModelVersion"):
            raise Problem(400, None, "DeviceModelName and DeviceModelVersion headers are required")
        if device is None:
            raise Problem(422, "DEV01", "device not found")
        if (headers["DeviceModelName"], headers["DeviceModelVersion"]) != device.model:
            raise Problem(422, "DEV06", "device model not registered")
        expected = {("Public", "VerifyTaxpayerInformation"): "POST", ("Public", "RegisterDevice"): "POST",
                    ("Device", "GetConfig"): "GET", ("Device", "GetStatus"): "GET", ("Device", "Ping"): "POST",
                    ("Device", "OpenDay"): "POST", ("Device", "SubmitReceipt"): "POST",
                    ("Device", "CloseDay"): "POST", ("Device", "IssueCertificate"): "POST"}.get((area, op))
        expected = expected or {("Device", "SubmitFile"): "POST", ("Device", "SubmittedFileList"): "GET"}.get((area, op))
        if expected is None:
            raise Problem(404, None, "unknown endpoint")
        if expected != method:
            raise Problem(405, None, "method not allowed")
        if area == "Device":
            cn = peer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value if peer else ""
            if peer is None or device.cert is None or peer != device.cert or not str(cn).endswith(f"-{device_id:010d}"):
                raise Problem(401, None, "client certificate missing or not this device's")
        with self.lock:
            return getattr(self, "op_" + op)(device, body)

    def op_VerifyTaxpayerInformation(self, d: Device, body: dict) -> dict:
        self._activation(d, body)
        if body.get("deviceSerialNo") != d.serial:
            raise Problem(422, "DEV01", "serial number does not match")
        return {"taxPayerName": "Soko Test Supermarket (Pvt) Ltd", "taxPayerTIN": "2000123456",
                **({"vatNumber": "220012345"} if self.vat else {}), "deviceBranchName": "Harare Central",
                "deviceBranchAddress": {"province": "Harare", "city": "Harare", "street": "Samora Machel Ave",
                                        "houseNo": "12"},
                "deviceBranchContacts": {"phoneNo": "+263242000000", "email": "shop@example.co.zw"}}

    def _activation(self, d: Device, body: dict) -> None:
        if str(body.get("activationKey", "")).upper() != d.activation_key.upper():
            raise Problem(422, "DEV02", "activation key is wrong")

    def op_RegisterDevice(self, d: Device, body: dict) -> dict:
        self._activation(d, body)
        d.cert = self._issue(self._checked_csr(d, body))
        return {"certificate": d.cert.public_bytes(serialization.Encoding.PEM).decode()}

    def _checked_csr(self, d: Device, body: dict) -> x509.CertificateSigningRequest:
        try:
            csr = x509.load_pem_x509_csr(str(body.get("certificateRequest", "")).encode())
        except ValueError:
            raise Problem(422, "DEV03", "certificate request is not a PEM CSR") from None
        if not csr.is_signature_valid:
            raise Problem(422, "DEV03", "CSR signature invalid")
        allowed = {NameOID.COUNTRY_NAME: "ZW", NameOID.ORGANIZATION_NAME: "Zimbabwe Revenue Authority",
                   NameOID.STATE_OR_PROVINCE_NAME: "Zimbabwe",
                   NameOID.COMMON_NAME: f"ZIMRA-{d.serial}-{d.device_id:010d}"}
        seen = set()
        for attr in csr.subject:
            if attr.oid not in allowed or allowed[attr.oid] != attr.value or attr.oid in seen:
                raise Problem(422, "DEV03", f"CSR subject field {attr.oid.dotted_string}={attr.value!r} not allowed")
            seen.add(attr.oid)
        if NameOID.COMMON_NAME not in seen:
            raise Problem(422, "DEV03", "CSR has no CN")
        key = csr.public_key()
        if not ((isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1")
                or (isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048)):
            raise Problem(422, "DEV03", "key must be ECDSA P-256 or RSA 2048")
        return csr

    def op_IssueCertificate(self, d: Device, body: dict) -> dict:
        """A renewal (spec §4.3): a new CSR with the same subject rules, over mutual TLS with the
        current certificate; the new certificate replaces it (the old one no longer authenticates)."""
        d.cert = self._issue(self._checked_csr(d, body))
        d.renewals += 1
        return {"certificate": d.cert.public_bytes(serialization.Encoding.PEM).decode()}

    def op_GetConfig(self, d: Device, body: dict) -> dict:
        info = self.op_VerifyTaxpayerInformation(d, {"activationKey": d.activation_key, "deviceSerialNo": d.serial})
        assert d.cert is not None
        return {**info, "deviceSerialNo": d.serial, "deviceOperatingMode": d.mode, "taxPayerDayMaxHrs": self.day_max_hrs,
                "taxpayerDayEndNotificationHrs": self.day_end_notification_hrs, "applicableTaxes": self.taxes,
                "certificateValidTill": d.cert.not_valid_after_utc.replace(tzinfo=None).strftime(FMT),
                "qrUrl": self.qr_url}

    def op_GetStatus(self, d: Device, body: dict) -> dict:
        self._online(d)
        out: dict[str, Any] = {"fiscalDayStatus": d.day_status, "lastReceiptGlobalNo": d.last_global_no,
                               "lastFiscalDayNo": d.day_no}
        if d.day_status == "FiscalDayCloseFailed":
            out["fiscalDayClosingErrorCode"] = d.closing_error
        if d.day_status == "FiscalDayClosed" and d.day_no in d.closed_days:
            out["fiscalDayReconciliationMode"] = "Auto"
            out["fiscalDayClosed"] = d.closed_days[d.day_no]["closed"]
            out["fiscalDayServerSignature"] = d.closed_days[d.day_no]["server_signature"]
        return out

    def op_Ping(self, d: Device, body: dict) -> dict:
        return {"reportingFrequency": 5}

    def _online(self, d: Device) -> None:
        if d.mode != "Online":
            raise Problem(422, "DEV01", "device is in Offline mode")

    def op_OpenDay(self, d: Device, body: dict) -> dict:
        self._online(d)
        if d.day_status != "FiscalDayClosed":
            raise Problem(422, "FISC01", "a fiscal day is already open")
        number = body.get("fiscalDayNo", d.day_no + 1)
        if number != d.day_no + 1:
            raise Problem(422, "FISC01", "fiscalDayNo must be the last closed day + 1")
        try:
            dt.datetime.strptime(body["fiscalDayOpened"], FMT)
        except (KeyError, TypeError, ValueError):
            raise Problem(400, "RCPT02", "fiscalDayOpened must be YYYY-MM-DDTHH:mm:ss") from None
        d.day_no, d.day_status, d.day_opened, d.day_receipts = number, "FiscalDayOpened", body["fiscalDayOpened"], []
        return {"fiscalDayNo": number}

    def op_SubmitReceipt(self, d: Device, body: dict) -> dict:
        self._online(d)
        r = body.get("receipt")
        if d.day_status not in ("FiscalDayOpened", "FiscalDayCloseFailed"):
            raise Problem(422, "RCPT01", "fiscal day is not open")
        required = ["receiptType", "receiptCurrency", "receiptCounter", "receiptGlobalNo", "invoiceNo", "receiptDate",
                    "receiptLinesTaxInclusive", "receiptLines", "receiptTaxes", "receiptPayments", "receiptTotal",
                    "receiptDeviceSignature"]
        if not isinstance(r, dict) or any(k not in r for k in required) or r["receiptType"] not in TYPES:
            raise Problem(400, "RCPT02", "invalid receipt structure")
        try:
            date = dt.datetime.strptime(r["receiptDate"], FMT)
        except (TypeError, ValueError):
            raise Problem(400, "RCPT02", "receiptDate must be YYYY-MM-DDTHH:mm:ss") from None
        sig = r["receiptDeviceSignature"]
        held = d.receipts.get(r["receiptGlobalNo"])
        if held is not None and held["receipt"]["receiptDeviceSignature"]["hash"] == sig.get("hash"):
            return held["answer"]  # idempotent re-submission
        errors = self.validate(d, r, date)
        self._next_receipt_id += 1
        server_date = self.now().strftime(FMT)
        server_hash = b64sha(f"{sig.get('signature', '')}{self._next_receipt_id}{server_date}")
        answer = {"receiptID": self._next_receipt_id, "serverDate": server_date,
                  "receiptServerSignature": {"hash": server_hash, "signature": "",
                                             "certificateThumbprint": "0" * 40},
                  "validationErrors": [{"validationErrorCode": c, "validationErrorColor":
                                        "Red" if c in RED_CODES else "Yellow"} for c in errors]}
        d.receipts[r["receiptGlobalNo"]] = {"receipt": r, "answer": answer, "day": d.day_no,
                                            "colours": {e["validationErrorColor"] for e in answer["validationErrors"]}}
        d.day_receipts.append(r["receiptGlobalNo"])
        d.last_global_no = max(d.last_global_no, r["receiptGlobalNo"])
        self.invoice_numbers.add(r["invoiceNo"])
        return answer

    def validate(self, d: Device, r: dict, date: dt.datetime) -> list[str]:
        errors: list[str] = []
        kind = r["receiptType"]
        sign = -1 if kind == "CreditNote" else 1
        prev = d.receipts.get(d.day_receipts[-1]) if d.day_receipts else None
        first = prev is None
        if r["receiptCurrency"] not in self.currencies:
            errors.append("RCPT010")
        if r["receiptCounter"] != (1 if first else prev["receipt"]["receiptCounter"] + 1):
            errors.append("RCPT011")
        if not (r["receiptGlobalNo"] == d.last_global_no + 1 or (first and r["receiptGlobalNo"] == 1)):
            errors.append("RCPT012")
        if r["invoiceNo"] in self.invoice_numbers:
            errors.append("RCPT013")
        opened = dt.datetime.strptime(d.day_opened, FMT)
        if date < opened:
            errors.append("RCPT014")
        note = r.get("creditDebitNote")
        if kind != "FiscalInvoice" and not note:
            errors.append("RCPT015")
        if kind == "FiscalInvoice" and note:
            errors.append("RCPT029")
        if kind != "FiscalInvoice" and not r.get("receiptNotes"):
            errors.append("RCPT034")
        lines, taxes, payments = r["receiptLines"], r["receiptTaxes"], r["receiptPayments"]
        for empty, code in ((lines, "RCPT016"), (taxes, "RCPT017"), (payments, "RCPT018")):
            if not empty:
                errors.append(code)
        total = Decimal(str(r["receiptTotal"]))
        line_sum = sum((Decimal(str(ln["receiptLineTotal"])) for ln in lines), Decimal(0))
        inclusive = bool(r["receiptLinesTaxInclusive"])
        if inclusive and total != line_sum:
            errors.append("RCPT019")
        text = receipt_text(d.device_id, r, prev["receipt"]["receiptDeviceSignature"]["hash"] if prev else None)
        if b64sha(text) != r["receiptDeviceSignature"].get("hash") or d.cert is None or \
                not check_signature(d.cert, text, r["receiptDeviceSignature"].get("signature", "")):
            errors.append("RCPT020")
        valid = {(t["taxID"], None if t.get("taxPercent") is None else Decimal(str(t["taxPercent"]))) for t in self.taxes}
        groups: dict[tuple, Decimal] = {}
        for ln in lines:
            price, qty, lt = ln.get("receiptLinePrice"), Decimal(str(ln["receiptLineQuantity"])), \
                Decimal(str(ln["receiptLineTotal"]))
            if qty <= 0:
                errors.append("RCPT023")
            if price is not None and (Decimal(str(price)) * qty).quantize(CENT) != lt:
                errors.append("RCPT024")
            value = Decimal(str(price)) if price is not None else lt
            if ln["receiptLineType"] == "Sale" and (value * sign <= 0 and value != 0):
                errors.append("RCPT022")
            if ln["receiptLineType"] == "Discount" and kind == "FiscalInvoice" and value > 0:
                errors.append("RCPT022")  # an invoice's discount is negative
            percent = None if ln.get("taxPercent") is None else Decimal(str(ln["taxPercent"]))
            if (ln.get("taxID"), percent) not in valid or not self._tax_in_force(ln.get("taxID"), date):
                errors.append("RCPT025")
            if not self.vat and percent is not None and percent > 0:
                errors.append("RCPT021")
            hs = str(ln.get("receiptLineHSCode") or "")
            if self.vat and not hs:
                errors.append("RCPT047")
            elif hs and (len(hs) not in (4, 8) or not hs.isdigit()
                         or (self.vat and (percent is None or percent == 0) and len(hs) != 8)):
                errors.append("RCPT048")
            key = (ln.get("taxID"), percent, ln.get("taxCode") or "")
            groups[key] = groups.get(key, Decimal(0)) + lt
        tax_sum = Decimal(0)
        sales_sum = Decimal(0)
        for t in taxes:
            percent = None if t.get("taxPercent") is None else Decimal(str(t["taxPercent"]))
            base = groups.get((t["taxID"], percent, t.get("taxCode") or ""))
            amount, sales = Decimal(str(t["taxAmount"])), Decimal(str(t["salesAmountWithTax"]))
            tax_sum += amount
            sales_sum += sales
            if base is None:
                errors.append("RCPT025")
                continue
            p = (percent or Decimal(0)) / 100
            expect_tax = (base * p / (1 + p) if inclusive else base * p).quantize(CENT, rounding="ROUND_HALF_UP")
            expect_sales = base if inclusive else (base + expect_tax)
            if abs(expect_tax - amount) > CENT:  # FDMS tolerates a cent of rounding difference [INFERRED]
                errors.append("RCPT026")
            if abs(expect_sales - sales) > CENT:
                errors.append("RCPT027")
        if len({(t["taxID"], t.get("taxCode") or "") for t in taxes}) != len(taxes):
            errors.append("RCPT017")
        pay_sum = Decimal(0)
        for p in payments:
            amount = Decimal(str(p["paymentAmount"]))
            pay_sum += amount
            if p.get("moneyTypeCode") not in MONEY and p.get("moneyTypeCode") not in range(7):
                errors.append("RCPT02x")
            if amount * sign < 0:
                errors.append("RCPT028")
        if not inclusive and total != line_sum + tax_sum:
            errors.append("RCPT037")
        if total != sales_sum:
            errors.append("RCPT038")
        if total != pay_sum:
            errors.append("RCPT039")
        if total * sign < 0:
            errors.append("RCPT040")
        if prev is not None and date <= dt.datetime.strptime(prev["receipt"]["receiptDate"], FMT):
            errors.append("RCPT030")  # observed live: an equal second fails too
        if date > self.now() + self.tolerance:
            errors.append("RCPT031")
        if date > opened + dt.timedelta(hours=self.day_max_hrs):
            errors.append("RCPT041")
        if r.get("buyerData") and not (r["buyerData"].get("buyerRegisterName") and r["buyerData"].get("buyerTIN")):
            errors.append("RCPT043")
        if note:
            errors += self._note_checks(d, r, note, total)
        return sorted(set(errors))

    def _tax_in_force(self, tax_id: Any, date: dt.datetime) -> bool:
        """The tax is valid on the receipt's date (validFrom/validTill, or taxValidFrom/taxValidTill)."""
        for t in self.taxes:
            if t["taxID"] == tax_id:
                start = t.get("validFrom") or t.get("taxValidFrom")
                end = t.get("validTill") or t.get("taxValidTill")
                day = date.date().isoformat()
                return not ((start and str(start)[:10] > day) or (end and str(end)[:10] < day))
        return False

    def _note_checks(self, d: Device, r: dict, note: dict, total: Decimal) -> list[str]:
        original = None
        if "receiptID" in note:
            original = next((x for dev in self.devices.values() for x in dev.receipts.values()
                             if x["answer"]["receiptID"] == note["receiptID"]), None)
        else:
            dev = self.devices.get(note.get("deviceID"))
            found = dev.receipts.get(note.get("receiptGlobalNo")) if dev else None
            original = found if found and found["day"] == note.get("fiscalDayNo") else None
        if original is None:
            return ["RCPT032"]
        errors = []
        o = original["receipt"]
        issued = dt.datetime.strptime(o["receiptDate"], FMT)
        this = dt.datetime.strptime(r["receiptDate"], FMT)
        month = issued.month - 1 + 12
        try:
            limit = issued.replace(year=issued.year + month // 12, month=month % 12 + 1)
        except ValueError:  # 29 February: the 28th a year on
            limit = issued.replace(year=issued.year + 1, day=28)
        if this.date() > limit.date():
            errors.append("RCPT033")  # the original is more than 12 months old
        if o["receiptCurrency"] != r["receiptCurrency"]:
            errors.append("RCPT042")
        if {t["taxID"] for t in r["receiptTaxes"]} - {t["taxID"] for t in o["receiptTaxes"]}:
            errors.append("RCPT036")
        balance = Decimal(str(o["receiptTotal"])) + total + original.setdefault("adjusted", Decimal(0))
        if balance < 0:
            errors.append("RCPT035")
        else:
            original["adjusted"] += total
        return errors

    # -- offline mode: submitFile and getFileStatus (summary §6.4; spec §4.8-4.9)
    def op_SubmitFile(self, d: Device, body: dict) -> dict:
        if d.mode != "Offline":
            raise Problem(422, "FILE03", "device is not in Offline mode")
        text = body["_raw"].decode("ascii", "replace").strip()
        if text.startswith('"'):
            text = json.loads(text)  # a JSON string body is read as the text it holds
        if len(text) > 3 * 1024 * 1024:
            raise Problem(422, "FILE01", "file is larger than 3 MB")
        try:
            data = json.loads(base64.b64decode(text, validate=True), parse_float=Decimal)
            header = data["header"]
            day_no, sequence = int(header["fiscalDayNo"]), int(header["fileSequence"])
            dt.datetime.strptime(header["fiscalDayOpened"], FMT)
        except (ValueError, KeyError, TypeError):
            raise Problem(422, "FILE02", "file is not base64 JSON with a header") from None
        if header.get("deviceID") != d.device_id:
            raise Problem(422, "FILE05", "the file's deviceID is not this device")
        if not set(data) <= {"header", "content", "footer"}:
            raise Problem(422, "FILE02", "unknown file section")
        self.files.setdefault(d.device_id, []).append(
            {"operationID": body["_operation"], "day": day_no, "sequence": sequence, "data": data,
             "status": "FileProcessingInProgress", "errors": [], "uploaded": self.now().strftime(FMT)})
        self._process_files(d)
        return {}

    def _process_files(self, d: Device) -> None:
        """Process waiting files in fileSequence order per day, each as FDMS does: its receipts as
        submitReceipt would (duplicates skipped), its footer as closeDay would."""
        progress = True
        while progress:
            progress = False
            for f in self.files.get(d.device_id, []):
                if f["status"] not in ("FileProcessingInProgress", "WaitingForPreviousFile"):
                    continue
                done = {g["sequence"] for g in self.files[d.device_id]
                        if g["day"] == f["day"] and g["status"] == "FileProcessingIsSuccessful"}
                if any(n not in done for n in range(1, f["sequence"])):
                    f["status"] = "WaitingForPreviousFile"
                    continue
                self._process(d, f)
                progress = True

    def _process(self, d: Device, f: dict) -> None:
        header, data = f["data"]["header"], f["data"]
        closed = d.closed_days.get(f["day"])
        if closed is not None:  # the day is closed: only the very same content is accepted again
            same = all(d.receipts.get(r["receiptGlobalNo"], {}).get("receipt", {}).get("receiptDeviceSignature")
                       == r["receiptDeviceSignature"] for r in (data.get("content") or {}).get("receipts", []))
            footer = data.get("footer")
            same = same and (footer is None or footer.get("fiscalDayDeviceSignature") == closed.get("signature"))
            f["status"], f["errors"] = ("FileProcessingIsSuccessful", []) if same else \
                ("FileProcessingWithErrors", ["FileSentForClosedDay"])
            return
        if d.day_no != f["day"]:
            if f["day"] != d.day_no + 1 or d.day_status != "FiscalDayClosed":
                f["status"], f["errors"] = "FileProcessingWithErrors", ["IncorrectFileFormat"]
                return
            d.day_no, d.day_status, d.day_opened, d.day_receipts = f["day"], "FiscalDayOpened", \
                header["fiscalDayOpened"], []
        errors: set[str] = set()
        d.mode = "Online"  # the receipts and the footer are checked as submitReceipt and closeDay check them
        try:
            for r in (data.get("content") or {}).get("receipts", []):
                answer = self.op_SubmitReceipt(d, {"receipt": r})
                if {e["validationErrorColor"] for e in answer["validationErrors"]} & {"Red", "Grey"}:
                    errors.add("ReceiptsWithValidationErrors")
            footer = data.get("footer")
            if footer is not None and not errors:
                counters = footer.get("fiscalDayCounters", footer.get("fiscalCounters"))
                self.op_CloseDay(d, {"fiscalDayNo": f["day"], "fiscalDayCounters": counters or [],
                                     "fiscalDayDeviceSignature": footer.get("fiscalDayDeviceSignature"),
                                     "receiptCounter": footer.get("receiptCounter")})
                if d.day_status == "FiscalDayClosed":
                    d.closed_days[f["day"]]["signature"] = footer.get("fiscalDayDeviceSignature")
                    d.closed_days[f["day"]]["closed"] = footer.get("fiscalDayClosed")
                else:
                    errors.add(d.closing_error or "CountersMismatch")
                    d.day_status = "FiscalDayOpened"
        finally:
            d.mode = "Offline"
        f["status"], f["errors"] = ("FileProcessingWithErrors", sorted(errors)) if errors else \
            ("FileProcessingIsSuccessful", [])

    def op_SubmittedFileList(self, d: Device, body: dict) -> dict:
        if d.mode != "Offline":
            raise Problem(422, "FILE03", "device is not in Offline mode")
        wanted = body.get("_query", {}).get("OperationID", [None])[0]
        rows = [{"operationID": f["operationID"], "deviceId": d.device_id, "fiscalDayNo": f["day"],
                 "fileSequence": f["sequence"], "fileUploadDate": f["uploaded"],
                 "fileProcessingStatus": f["status"], "fileProcessingError": f["errors"]}
                for f in self.files.get(d.device_id, []) if wanted in (None, f["operationID"])]
        return {"total": len(rows), "rows": rows}

    def counters(self, d: Device) -> dict[tuple, Decimal]:
        """What FDMS sums for the day: per type, currency, tax (id, percent) or money type."""
        by_kind = {"FiscalInvoice": ("SaleByTax", "SaleTaxByTax"), "CreditNote": ("CreditNoteByTax", "CreditNoteTaxByTax"),
                   "DebitNote": ("DebitNoteByTax", "DebitNoteTaxByTax")}
        out: dict[tuple, Decimal] = {}

        def add(key: tuple, value: Decimal) -> None:
            out[key] = out.get(key, Decimal(0)) + value

        for number in d.day_receipts:
            r = d.receipts[number]["receipt"]
            sales, tax = by_kind[r["receiptType"]]
            for t in r["receiptTaxes"]:
                percent = None if t.get("taxPercent") is None else Decimal(str(t["taxPercent"]))
                add((sales, r["receiptCurrency"], t["taxID"], percent), Decimal(str(t["salesAmountWithTax"])))
                add((tax, r["receiptCurrency"], t["taxID"], percent), Decimal(str(t["taxAmount"])))
            for p in r["receiptPayments"]:
                money = p["moneyTypeCode"] if isinstance(p["moneyTypeCode"], str) else MONEY[p["moneyTypeCode"]]
                add(("BalanceByMoneyType", r["receiptCurrency"], money), Decimal(str(p["paymentAmount"])))
        return {k: v for k, v in out.items() if v != 0}

    def op_CloseDay(self, d: Device, body: dict) -> dict:
        self._online(d)
        if d.day_status == "FiscalDayCloseInitiated":
            raise Problem(422, "FISC03", "close already in progress")
        if d.day_status not in ("FiscalDayOpened", "FiscalDayCloseFailed"):
            raise Problem(422, "FISC04", "fiscal day is not open")
        if body.get("fiscalDayNo") != d.day_no:
            raise Problem(422, "FISC04", "not the open day")
        colours = set().union(*(d.receipts[n]["colours"] for n in d.day_receipts)) if d.day_receipts else set()
        if "Red" in colours or "Grey" in colours:
            d.day_status, d.closing_error = "FiscalDayCloseFailed", "ReceiptsWithValidationErrors"
            return {}
        sent = body.get("fiscalDayCounters") or []
        got: dict[tuple, Decimal] = {}
        for c in sent:
            value = Decimal(str(c["fiscalCounterValue"]))
            if value == 0:
                d.day_status, d.closing_error = "FiscalDayCloseFailed", "CountersMismatch"  # zeros are not sent
                return {}
            if c["fiscalCounterType"] == "BalanceByMoneyType":
                key = (c["fiscalCounterType"], c["fiscalCounterCurrency"], c["fiscalCounterMoneyType"])
            else:
                percent = c.get("fiscalCounterTaxPercent")
                key = (c["fiscalCounterType"], c["fiscalCounterCurrency"], c.get("fiscalCounterTaxID"),
                       None if percent is None else Decimal(str(percent)))
            got[key] = value
        last_counter = d.receipts[d.day_receipts[-1]]["receipt"]["receiptCounter"] if d.day_receipts else 0
        signature = body.get("fiscalDayDeviceSignature") or {}
        text = day_text(d.device_id, d.day_no, d.day_opened, sent)
        if d.cert is None or signature.get("hash") != b64sha(text) or \
                not check_signature(d.cert, text, signature.get("signature", "")):
            d.day_status, d.closing_error = "FiscalDayCloseFailed", "BadCertificateSignature"
        elif got != self.counters(d) or body.get("receiptCounter") != last_counter:
            d.day_status, d.closing_error = "FiscalDayCloseFailed", "CountersMismatch"
        else:
            closed = self.now().strftime(FMT)
            d.closed_days[d.day_no] = {"closed": closed, "counters": sent,
                                       "server_signature": {"hash": b64sha(f"{text}{closed}AUTO"), "signature": ""}}
            d.day_status, d.closing_error, d.day_receipts = "FiscalDayClosed", None, []
        return {}


class _Handler(BaseHTTPRequestHandler):
    sim: FdmsSim

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        operation = str(uuid.uuid4())
        path, _, query = self.path.partition("?")
        try:
            body = json.loads(raw, parse_float=Decimal) if raw and not path.endswith("/SubmitFile") else {}
        except ValueError:
            body = None
        if path.endswith("/SubmitFile"):
            body = {"_raw": raw, "_operation": operation}  # a text body: the base64 file
        elif query and body is not None:
            body = {**body, "_query": urllib.parse.parse_qs(query)}
        der = self.connection.getpeercert(binary_form=True)  # type: ignore[attr-defined]
        peer = x509.load_der_x509_certificate(der) if der else None
        path = self.path.split("?")[0]
        try:
            if self.sim.down or self.sim.fail_next:
                status = self.sim.fail_next.pop(0) if self.sim.fail_next else 503
                raise Problem(status, None, "simulated outage")
            if body is None:
                raise Problem(400, None, "body is not JSON")
            status, answer = 200, self.sim.handle(method, path, self.headers, body, peer)
            answer = {**answer, "operationID": operation}
            if self.sim.lose_answers:
                self.sim.lose_answers -= 1
                raise Problem(503, None, "simulated outage after the request was processed")
        except Problem as p:
            status = p.status
            answer = {"type": "about:blank", "title": p.title, "status": p.status, "operationID": operation,
                      **({"errorCode": p.code} if p.code else {})}
        self.sim.calls.append((path.rsplit("/", 1)[-1], status, body or {}))
        data = json.dumps(answer, default=lambda o: float(o) if isinstance(o, Decimal) else str(o)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status < 300 else "application/problem+json")
        self.send_header("operationId", operation)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

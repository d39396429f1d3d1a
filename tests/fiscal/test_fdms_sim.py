"""The FDMS simulator, proven first: it shares no code with the hub, it reproduces the spec's
vectors from receipt JSON on its own, and it registers a device from a CSR with the exact subject
over HTTPS, then answers only that device's client certificate."""

from __future__ import annotations

import ast
import base64
import datetime as dt
import ssl
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fiscal import fdms_sim
from tests.fiscal.fdms_sim import FdmsSim

HEADERS = {"DeviceModelName": "Server", "DeviceModelVersion": "v1"}


def test_the_simulator_imports_nothing_from_the_hub():
    tree = ast.parse(Path(fdms_sim.__file__).read_text())
    imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + \
        [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert imported and not [m for m in imported if m and (m == "hub" or m.startswith(("hub.", "tests.")))]


def test_the_simulator_reproduces_the_spec_vectors_from_json():
    note = {"receiptType": "CreditNote", "receiptCurrency": "USD", "receiptGlobalNo": 85,
            "receiptDate": "2020-09-19T09:23:07", "receiptTotal": Decimal("-40.35"),
            "receiptTaxes": [{"taxID": 3, "taxPercent": Decimal("14.5"), "taxAmount": Decimal("-3"),
                              "salesAmountWithTax": Decimal("-23.00")},
                             {"taxID": 1, "taxAmount": 0, "salesAmountWithTax": Decimal("-7")},
                             {"taxID": 2, "taxPercent": 0, "taxAmount": 0, "salesAmountWithTax": Decimal("-10.00")}]}
    text = fdms_sim.receipt_text(322, note, "hNVJXP/ACOiE8McD3pKsDlqBXpuaUqQOfPnMyfZWI9k=")
    assert fdms_sim.b64sha(text) == "F9/QB0vhxQlEF2nk+oebwP8V+qBcNlOFvoTeE/1QxPc="
    invoice = {"receiptType": "FiscalInvoice", "receiptCurrency": "USD", "receiptGlobalNo": 17,
               "receiptDate": "2026-05-03T12:30:45", "receiptTotal": Decimal("23.75"),
               "receiptTaxes": [{"taxID": 517, "taxPercent": 15, "taxAmount": Decimal("3.10"),
                                 "salesAmountWithTax": Decimal("23.75")}]}
    assert fdms_sim.b64sha(fdms_sim.receipt_text(41872, invoice, "prevhash")) == \
        "RvITo69xmzooX78ByYk9fPREOW9aU5FzBdmNSmKL3W0="
    assert fdms_sim.b64sha(fdms_sim.day_text(1062, 617, "2024-09-02T08:00:00", [])) == \
        "vi9+Dvh6hl8GEHGljbPjjD8B4zeBOY5HiaO+Y82ViEk="


def _csr(key, cn: str, extra: list | None = None) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), *(extra or [])])
    return x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256()) \
        .public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def sim(tmp_path):
    s = FdmsSim(tmp_path / "sim")
    s.add_device(321, "SN0001", "ABCD1234")
    s.start()
    yield s
    s.stop()


def _client(sim, tmp_path, cert_pem: str | None = None, key=None) -> httpx.Client:
    ctx = ssl.create_default_context(cafile=str(sim.ca_path))
    if cert_pem:
        (tmp_path / "c.pem").write_text(cert_pem)
        (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
        ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    return httpx.Client(base_url=sim.url, verify=ctx, headers=HEADERS, timeout=10)


def test_registration_needs_the_exact_subject_and_device_calls_need_the_certificate(sim, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    public = _client(sim, tmp_path)
    r = public.post("/Public/v1/321/VerifyTaxpayerInformation", json={"activationKey": "abcd1234",
                                                                      "deviceSerialNo": "SN0001"})
    assert r.status_code == 200 and r.json()["taxPayerTIN"] == "2000123456" and r.json()["operationID"]
    assert public.post("/Public/v1/321/RegisterDevice", json={"activationKey": "WRONG123", "certificateRequest":
                       _csr(key, "ZIMRA-SN0001-0000000321")}).json()["errorCode"] == "DEV02"
    for cn, extra in (("ZIMRA-SN0001-321", []), ("ZIMRA-SN0001-0000000321",
                                                 [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Soko")])):
        r = public.post("/Public/v1/321/RegisterDevice", json={"activationKey": "ABCD1234",
                                                               "certificateRequest": _csr(key, cn, extra)})
        assert (r.status_code, r.json()["errorCode"]) == (422, "DEV03")
    r = public.post("/Public/v1/321/RegisterDevice", headers={"DeviceModelVersion": "v9"},
                    json={"activationKey": "ABCD1234", "certificateRequest": _csr(key, "ZIMRA-SN0001-0000000321")})
    assert r.json()["errorCode"] == "DEV06"
    r = public.post("/Public/v1/321/RegisterDevice", json={"activationKey": "ABCD1234", "certificateRequest": _csr(
        key, "ZIMRA-SN0001-0000000321", [x509.NameAttribute(NameOID.COUNTRY_NAME, "ZW")])})
    assert r.status_code == 200, r.text
    assert public.get("/Device/v1/321/GetConfig").status_code == 401  # no client certificate
    device = _client(sim, tmp_path, r.json()["certificate"], key)
    config = device.get("/Device/v1/321/GetConfig").json()
    assert config["qrUrl"] and [t["taxID"] for t in config["applicableTaxes"]] == [1, 2, 517]
    opened = sim.now().strftime(fdms_sim.FMT)
    assert device.post("/Device/v1/321/OpenDay", json={"fiscalDayOpened": opened}).json()["fiscalDayNo"] == 1
    assert device.post("/Device/v1/321/OpenDay", json={"fiscalDayOpened": opened}).json()["errorCode"] == "FISC01"
    # an empty day closes with the empty-day signature over the OPENING date
    text = f"3211{opened[:10]}"
    sig = base64.b64encode(key.sign(text.encode(), ec.ECDSA(hashes.SHA256()))).decode()
    assert device.post("/Device/v1/321/CloseDay", json={"fiscalDayNo": 1, "fiscalDayCounters": [], "receiptCounter": 0,
                       "fiscalDayDeviceSignature": {"hash": fdms_sim.b64sha(text), "signature": sig}}).status_code == 200
    status = device.get("/Device/v1/321/GetStatus").json()
    assert status["fiscalDayStatus"] == "FiscalDayClosed" and status["lastFiscalDayNo"] == 1
    # another device's certificate is refused
    sim.add_device(322, "SN0002", "EFGH5678")
    assert device.get("/Device/v1/322/GetConfig").status_code == 401
    assert dt.datetime.strptime(config["certificateValidTill"], fdms_sim.FMT) > dt.datetime.now()


def _signed(sim, key, number: int, receipt: dict, previous: str | None) -> dict:
    text = fdms_sim.receipt_text(number, receipt, previous)
    sig = base64.b64encode(key.sign(text.encode(), ec.ECDSA(hashes.SHA256()))).decode()
    return {**receipt, "receiptDeviceSignature": {"hash": fdms_sim.b64sha(text), "signature": sig}}


def _receipt(counter: int, global_no: int, date: str, total: str = "11.55", **extra) -> dict:
    t = Decimal(total)
    tax = (t * Decimal("15.5") / Decimal("115.5")).quantize(Decimal("0.01"))
    return {"receiptType": "FiscalInvoice", "receiptCurrency": "USD", "receiptCounter": counter,
            "receiptGlobalNo": global_no, "invoiceNo": f"INV-{global_no}-{counter}", "receiptDate": date,
            "receiptLinesTaxInclusive": True,
            "receiptLines": [{"receiptLineType": "Sale", "receiptLineNo": 1, "receiptLineHSCode": "22011000",
                              "receiptLineName": "Water", "receiptLinePrice": t, "receiptLineQuantity": 1,
                              "receiptLineTotal": t, "taxPercent": Decimal("15.5"), "taxID": 517}],
            "receiptTaxes": [{"taxPercent": Decimal("15.5"), "taxID": 517, "taxAmount": tax, "salesAmountWithTax": t}],
            "receiptPayments": [{"moneyTypeCode": "Cash", "paymentAmount": t}], "receiptTotal": t, **extra}


def test_receipts_are_checked_as_fdms_does(sim, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    r = _client(sim, tmp_path).post("/Public/v1/321/RegisterDevice", json={
        "activationKey": "ABCD1234", "certificateRequest": _csr(key, "ZIMRA-SN0001-0000000321")})
    device = _client(sim, tmp_path, r.json()["certificate"], key)
    now = sim.now()
    opened = (now - dt.timedelta(minutes=10)).strftime(fdms_sim.FMT)
    at = [(now - dt.timedelta(minutes=9 - i)).strftime(fdms_sim.FMT) for i in range(6)]

    def submit(receipt: dict) -> list[str]:
        answer = device.post("/Device/v1/321/SubmitReceipt", json={"receipt": json_ready(receipt)})
        assert answer.status_code == 200, answer.text
        return [e["validationErrorCode"] for e in answer.json()["validationErrors"]]

    def json_ready(value):
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, dict):
            return {k: json_ready(v) for k, v in value.items()}
        if isinstance(value, list):
            return [json_ready(v) for v in value]
        return value

    assert device.post("/Device/v1/321/SubmitReceipt", json={"receipt": {}}).json()["errorCode"] == "RCPT01"
    device.post("/Device/v1/321/OpenDay", json={"fiscalDayOpened": opened})
    first = _signed(sim, key, 321, _receipt(1, 1, at[0]), None)
    assert submit(first) == []
    prev = first["receiptDeviceSignature"]["hash"]
    assert submit(_signed(sim, key, 321, _receipt(2, 2, at[1]), None)) == ["RCPT020"]  # chain left out
    prev = sim.devices[321].receipts[2]["receipt"]["receiptDeviceSignature"]["hash"]
    assert submit(_signed(sim, key, 321, _receipt(3, 4, at[2]), prev)) == ["RCPT012"]  # a gap
    prev = sim.devices[321].receipts[4]["receipt"]["receiptDeviceSignature"]["hash"]
    assert submit(_signed(sim, key, 321, _receipt(4, 5, at[2]), prev)) == ["RCPT030"]  # same second
    prev = sim.devices[321].receipts[5]["receipt"]["receiptDeviceSignature"]["hash"]
    bad_tax = _receipt(5, 6, at[4])
    bad_tax["receiptTaxes"][0]["taxAmount"] = Decimal("0.50")
    assert submit(_signed(sim, key, 321, bad_tax, prev)) == ["RCPT026"]
    prev = sim.devices[321].receipts[6]["receipt"]["receiptDeviceSignature"]["hash"]
    unsigned = _signed(sim, key, 321, _receipt(6, 7, at[5]), prev)
    unsigned["receiptTotal"] = Decimal("11.56")
    assert set(submit(unsigned)) >= {"RCPT019", "RCPT020", "RCPT038", "RCPT039"}
    text = f"3211{opened[:10]}"
    sig = base64.b64encode(key.sign(text.encode(), ec.ECDSA(hashes.SHA256()))).decode()
    device.post("/Device/v1/321/CloseDay", json={"fiscalDayNo": 1, "fiscalDayCounters": [], "receiptCounter": 6,
                "fiscalDayDeviceSignature": {"hash": fdms_sim.b64sha(text), "signature": sig}})
    status = device.get("/Device/v1/321/GetStatus").json()
    assert (status["fiscalDayStatus"], status["fiscalDayClosingErrorCode"]) == \
        ("FiscalDayCloseFailed", "ReceiptsWithValidationErrors")

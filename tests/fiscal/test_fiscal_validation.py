"""Buyer data of business customers, the fallbacks per category, and the hub's own validation
before signing (the spec's RCPT rules it can check), each proven twice: the hub's check finds the
problem, and the simulator, sharing no code with it, flags the same receipt with the same code."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest

from hub.fiscal import validation
from tests.catalogue.fixtures import create, reference
from tests.fiscal import fdms_sim
from tests.fiscal.recipes import FISCAL, HS, configure, fiscal_till, map_taxes, open_day
from tests.people import query
from tests.portal.client import Portal
from tests.sales.build import cash, line
from tests.sales.recipes import SALES, Till


def _exceptions(hub, sale_id: str, kind: str) -> list[dict]:
    import json

    return [{"subject_id": r[0], "detail": json.loads(r[1])}
            for r in query(hub, "SELECT subject_id, detail FROM exceptions WHERE sale_id = ? AND kind = ? "
                                "ORDER BY subject_id", sale_id, kind)]


def test_a_business_customer_gets_buyer_data_on_the_receipt_the_print_and_the_a4_page(hub, sim):
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    open_day(manager, dev["id"])
    r = manager.post("/api/v1/customers", json={
        "name": "Moyo", "registered_name": "Moyo Hardware (Pvt) Ltd", "trade_name": "Moyo Hardware",
        "tin": "2000999999", "vat_number": "220099999", "phone": "+263772000001", "email": "buy@moyo.co.zw",
        "address": "7 Speke Ave, Harare, Harare"})
    assert r.status_code == 201, r.text
    business = r.json()["id"]
    r = manager.post("/api/v1/customers", json={"name": "Bad TIN Ltd", "tin": "12345"})
    bad = r.json()["id"]
    sold = till.sell(till.body([line(1000)], customer_id=business))
    other = till.sell(till.body([line(500)], customer_id=bad))
    plain = till.sell(till.body([line(500)]))
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    held = sim.devices[dev["fdms_device_id"]].receipts
    buyer = held[1]["receipt"]["buyerData"]
    assert buyer == {"buyerRegisterName": "Moyo Hardware (Pvt) Ltd", "buyerTradeName": "Moyo Hardware",
                     "buyerTIN": "2000999999", "VATNumber": "220099999",
                     "buyerContacts": {"phoneNo": "+263772000001", "email": "buy@moyo.co.zw"},
                     "buyerAddress": {"houseNo": "7", "street": "Speke Ave", "city": "Harare", "province": "Harare"}}
    assert "buyerData" not in held[2]["receipt"] and "buyerData" not in held[3]["receipt"]
    assert all(not x["answer"]["validationErrors"] for x in held.values())
    # the TIN FDMS would not take: no buyer data, one exception naming the sale
    assert [e["detail"]["reason"][:20] for e in _exceptions(hub, other["id"], "fiscal_buyer_data")] == \
        ["the customer's TIN '"]
    assert _exceptions(hub, plain["id"], "fiscal_buyer_data") == []

    text = manager.get(f"/api/v1/sales/{sold['id']}/receipt", params={"format": "text"}).text
    for expected in ("BUYER", "Moyo Hardware (Pvt) Ltd", "2000999999", "220099999", "7 Speke Ave, Harare, Harare"):
        assert expected in text, (expected, text)

    # the sale's page shows the customer and links the A4 fiscal tax invoice
    portal = Portal(hub)
    token = portal.token("manager")
    page = portal.call("GET", f"/sales/{sold['id']}", token)
    assert page.status_code == 200 and "Moyo Hardware (Pvt) Ltd" in page.text
    [document] = [d for d in manager.get(f"{FISCAL}/sales/{sold['id']}/documents").json()["items"]]
    assert document["receipt_type"] == "FiscalInvoice" and document["global_no"] == 1
    assert f'href="/fiscal/documents/{document["id"]}"' in page.text
    a4 = portal.call("GET", f"/fiscal/documents/{document['id']}", token)
    assert a4.status_code == 200, a4.text
    for expected in ("FISCAL TAX INVOICE", "Soko Test Supermarket (Pvt) Ltd", "2000123456", "220012345",
                     "BUYER", "Moyo Hardware (Pvt) Ltd", "2000999999", "Invoice No", "1/1", sold["invoice_number"],
                     f"SN{dev['fdms_device_id']}", "Verification code", "<svg", "HS code", HS):
        assert expected in a4.text, expected
    assert "<script" not in a4.text and "style=" not in a4.text.replace('rel="stylesheet"', "")


def test_lines_take_their_category_fallback_then_the_global_one_and_raise_one_exception_each(hub, sim):
    manager, admin = hub.as_user("manager"), hub.as_user("admin")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    ids = reference(admin)
    drink = create(admin, ids, category_id=ids["drinks"])  # no HS code
    bread = create(admin, ids, category_id=ids["bread"], hs_code="19059000")
    loose = create(admin, ids)  # no category, no HS code
    r = manager.put(f"{FISCAL}/settings", json={"category_fallbacks": {ids["drinks"]: {"hs_code": "22029900"},
                                                                       "nope": {"tax_id": 517}}})
    assert r.status_code == 422 and "category_fallbacks.nope" in r.text, r.text
    r = manager.put(f"{FISCAL}/settings", json={"category_fallbacks": {ids["drinks"]: {"hs_code": "220"}}})
    assert r.status_code == 422 and "category_fallbacks." + ids["drinks"] + ".hs_code" in r.text, r.text
    r = manager.put(f"{FISCAL}/settings", json={"category_fallbacks": {ids["drinks"]: {"hs_code": "22029900"}}})
    assert r.status_code == 200 and r.json()["category_fallbacks"] == {ids["drinks"]: {"tax_id": None,
                                                                                       "hs_code": "22029900"}}
    open_day(manager, dev["id"])
    sale = till.sell(till.body([line(150, product_id=drink["id"], tax_class_id=ids["VAT"]),
                                line(150, product_id=bread["id"], tax_class_id=ids["VAT"]),
                                line(150, product_id=loose["id"], tax_class_id=ids["VAT"])]))
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    [sent] = sim.devices[dev["fdms_device_id"]].receipts.values()
    assert [ln["receiptLineHSCode"] for ln in sent["receipt"]["receiptLines"]] == ["22029900", "19059000", HS]
    assert not sent["answer"]["validationErrors"]
    found = _exceptions(hub, sale["id"], "fiscal_fallback")
    assert [e["subject_id"] for e in found] == [f"{sale['id']}#0", f"{sale['id']}#2"]
    assert (found[0]["detail"]["hs_from"], found[1]["detail"]["hs_from"]) == ("category", "fallback")
    # the exception queue says it in words
    portal = Portal(hub)
    page = portal.call("GET", "/exceptions?kind=fiscal_fallback", portal.token("manager"))
    assert page.status_code == 200 and "Fiscal fallback used" in page.text and "22029900" in page.text


def test_a_correction_at_a_rate_the_invoice_did_not_use_is_refused_and_nothing_is_recorded(hub, sim):
    from tests.sales.refunding import correction_body

    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    open_day(manager, dev["id"])
    sold = till.sell(till.body([line(300, 2000)]))  # 15.5 % only
    boss = Till(hub, "manager", paired_by=till.paired_by, paired=till.paired)
    r = boss.http.post(f"{SALES}/{sold['id']}/corrections",
                       json=correction_body(lines=[{"amount": 10, "tax_rate_bp": 0, "tax_code": "Z"}]))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lines[0].tax_rate_bp", r.text
    assert "RCPT036" in r.text
    assert query(hub, "SELECT count(*) FROM sale_corrections WHERE sale_id = ?", sold["id"])[0][0] == 0
    # at the invoice's own rate it is a debit note, accepted without a colour
    r = boss.http.post(f"{SALES}/{sold['id']}/corrections",
                       json=correction_body(lines=[{"amount": 10, "tax_rate_bp": 1550}]))
    assert r.status_code == 201, r.text
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    held = sim.devices[dev["fdms_device_id"]].receipts
    assert [x["receipt"]["receiptType"] for x in held.values()] == ["FiscalInvoice", "DebitNote"]
    assert all(not x["answer"]["validationErrors"] for x in held.values())
    # the debit note prints as such, naming the invoice it debits
    invoice, note = manager.get(f"{FISCAL}/sales/{sold['id']}/documents").json()["items"]
    assert note["fiscal"]["title"] == "DEBIT NOTE" and note["fiscal"]["credited"]["global_no"] == 1
    portal = Portal(hub)
    a4 = portal.call("GET", f"/fiscal/documents/{note['id']}", portal.token("manager")).text
    assert "DEBIT NOTE" in a4 and "DEBITED INVOICE" in a4 and invoice["invoice_no"] in a4 and "Price correction" in a4


def test_a_document_fdms_would_mark_red_is_set_aside_and_the_day_still_closes(hub, sim):
    from tests.sales.refunding import correction_body

    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    map_taxes(manager)
    open_day(manager, dev["id"])
    sold = till.sell(till.body([line(300)]))
    boss = Till(hub, "manager", paired_by=till.paired_by, paired=till.paired)
    # a credit larger than the sale: FDMS would mark it red (RCPT035)
    too_much = correction_body(kind="credit", lines=[{"line_no": 0, "amount": 500}],
                               tenders=[{"method": "cash", "currency": "USD", "amount": 500}])
    r = boss.http.post(f"{SALES}/{sold['id']}/corrections", json=too_much)
    assert r.status_code == 201, r.text
    after = till.sell(till.body([line(200)]))  # signed after it: the set-aside note holds nothing up
    day = manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()
    assert (day["receipt_counter"], day["pending"]) == (2, 1)
    [aside] = manager.get(f"{FISCAL}/receipts", params={"status": "pending"}).json()["items"]
    assert aside["global_no"] is None and [p["code"] for p in aside["blocked"]] == ["RCPT035"]
    [record] = _exceptions(hub, sold["id"], "fiscal_blocked")
    assert record["detail"]["codes"] == ["RCPT035"]
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0  # the worker may have sent some already
    held = sim.devices[dev["fdms_device_id"]].receipts
    assert sorted(held) == [1, 2] and all(not x["answer"]["validationErrors"] for x in held.values())
    assert held[2]["receipt"]["invoiceNo"] == after["invoice_number"]
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    # the Fiscal page lists it with what to do
    portal = Portal(hub)
    page = portal.call("GET", "/fiscal", portal.token("manager"))
    assert "RCPT035" in page.text and "Refund no more than was sold" in page.text


# ---- each rule, proven on both sides ------------------------------------------------------------

TAXES = {1: None, 2: Decimal("0.00"), 517: Decimal("15.50")}


def _invoice() -> dict:
    return {"receiptType": "FiscalInvoice", "receiptCurrency": "USD", "receiptLinesTaxInclusive": True,
            "receiptLines": [{"receiptLineType": "Sale", "receiptLineNo": 1, "receiptLineHSCode": "22011000",
                              "receiptLineName": "Water", "receiptLinePrice": Decimal("11.55"),
                              "receiptLineQuantity": Decimal("1"), "receiptLineTotal": Decimal("11.55"),
                              "taxPercent": Decimal("15.50"), "taxID": 517}],
            "receiptTaxes": [{"taxPercent": Decimal("15.50"), "taxID": 517, "taxAmount": Decimal("1.55"),
                              "salesAmountWithTax": Decimal("11.55")}],
            "receiptPayments": [{"moneyTypeCode": "Cash", "paymentAmount": Decimal("11.55")}],
            "receiptTotal": Decimal("11.55")}


def _note(original_total: str = "11.55") -> dict:
    r = _invoice()
    for ln in r["receiptLines"]:
        ln["receiptLinePrice"], ln["receiptLineTotal"] = -ln["receiptLinePrice"], -ln["receiptLineTotal"]
    r["receiptTaxes"][0].update(taxAmount=Decimal("-1.55"), salesAmountWithTax=Decimal("-11.55"))
    r["receiptPayments"][0]["paymentAmount"] = Decimal("-11.55")
    r.update(receiptType="CreditNote", receiptTotal=Decimal("-11.55"), receiptNotes="Refund: broken",
             creditDebitNote={"deviceID": 77, "receiptGlobalNo": 1, "fiscalDayNo": 1})
    return r


def _mutate(kind: str):
    def fn(r: dict) -> dict:
        r = copy.deepcopy(r)
        ln, tax, pay = r["receiptLines"][0], r["receiptTaxes"][0], r["receiptPayments"][0]
        if kind == "RCPT015":
            r.pop("creditDebitNote")
        elif kind == "RCPT016":
            r["receiptLines"] = []
        elif kind == "RCPT017":
            r["receiptTaxes"] = []
        elif kind == "RCPT018":
            r["receiptPayments"] = []
        elif kind == "RCPT019":
            r["receiptTotal"] += 1
        elif kind == "RCPT021":
            pass  # checked against a non-VAT taxpayer
        elif kind == "RCPT022":
            ln["receiptLinePrice"], ln["receiptLineTotal"] = -ln["receiptLinePrice"], -ln["receiptLineTotal"]
        elif kind == "RCPT023":
            ln["receiptLineQuantity"] = Decimal(0)
        elif kind == "RCPT024":
            ln["receiptLinePrice"] = Decimal("10.00")
        elif kind == "RCPT025":
            ln["taxID"] = 999
        elif kind == "RCPT026":
            tax["taxAmount"] = Decimal("1.00")
        elif kind == "RCPT027":
            tax["salesAmountWithTax"] += Decimal("0.50")
        elif kind == "RCPT028":
            pay["paymentAmount"] = -pay["paymentAmount"]
        elif kind == "RCPT029":
            r["creditDebitNote"] = {"deviceID": 77, "receiptGlobalNo": 1, "fiscalDayNo": 1}
        elif kind == "RCPT034":
            r["receiptNotes"] = ""
        elif kind == "RCPT036":
            ln.update(taxID=2, taxPercent=Decimal("0.00"))
            tax.update(taxID=2, taxPercent=Decimal("0.00"), taxAmount=Decimal(0))
        elif kind == "RCPT037":
            r["receiptLinesTaxInclusive"] = False
        elif kind == "RCPT038":
            tax["salesAmountWithTax"] = Decimal("5.00")
            tax["taxAmount"] = Decimal("0.69")
            r["receiptLines"].append({**ln, "receiptLineNo": 2, "taxID": 1, "receiptLineTotal": Decimal("0"),
                                      "receiptLinePrice": Decimal("0")})
            r["receiptLines"][1].pop("taxPercent")
        elif kind == "RCPT039":
            pay["paymentAmount"] -= 1
        elif kind == "RCPT040":
            for x in (ln, ):
                x["receiptLinePrice"], x["receiptLineTotal"] = -x["receiptLinePrice"], -x["receiptLineTotal"]
            tax.update(taxAmount=-tax["taxAmount"], salesAmountWithTax=-tax["salesAmountWithTax"])
            pay["paymentAmount"] = -pay["paymentAmount"]
            r["receiptTotal"] = -r["receiptTotal"]
        elif kind == "RCPT042":
            r["receiptCurrency"] = "ZWG"
        elif kind == "RCPT043":
            r["buyerData"] = {"buyerRegisterName": "Moyo"}
        elif kind == "RCPT047":
            ln.pop("receiptLineHSCode")
        elif kind == "RCPT048":
            ln["receiptLineHSCode"] = "220110"
        return r
    return fn


INVOICE_RULES = ["RCPT016", "RCPT017", "RCPT018", "RCPT019", "RCPT022", "RCPT023", "RCPT024", "RCPT025",
                 "RCPT026", "RCPT027", "RCPT028", "RCPT029", "RCPT037", "RCPT038", "RCPT039", "RCPT040", "RCPT043",
                 "RCPT047", "RCPT048"]
NOTE_RULES = ["RCPT015", "RCPT034", "RCPT035", "RCPT036", "RCPT042", "RCPT033"]


def _sim_codes(sim: fdms_sim.FdmsSim, receipt: dict, *, original: dict | None = None, when: str,
               original_when: str | None = None) -> set[str]:
    d = sim.add_device(77, "SN77", "K0000077")
    d.day_opened, d.day_no, d.last_global_no = "2020-01-01T00:00:00", 1, 1
    if original is not None:
        stored = {**original, "receiptGlobalNo": 1, "receiptDate": original_when or when}
        d.receipts[1] = {"receipt": stored, "answer": {"receiptID": 5}, "day": 1, "colours": set()}
    r = {**receipt, "receiptCounter": 9, "receiptGlobalNo": 2, "invoiceNo": "X", "receiptDate": when,
         "receiptDeviceSignature": {"hash": "", "signature": ""}}
    return set(sim.validate(d, r, dt.datetime.strptime(when, fdms_sim.FMT))) - {"RCPT020", "RCPT011", "RCPT031",
                                                                                  "RCPT041"}


@pytest.mark.parametrize("code", INVOICE_RULES + NOTE_RULES + ["RCPT021"])
def test_each_rule_the_hub_checks_is_flagged_by_the_simulator_too(code, tmp_path):
    sim = fdms_sim.FdmsSim(tmp_path, vat=code != "RCPT021")
    when = sim.now().strftime(fdms_sim.FMT)
    today = sim.now().date()
    note = code in NOTE_RULES
    base = _note() if note else _invoice()
    if code == "RCPT021":
        base["receiptLines"][0].pop("receiptLineHSCode")
    bad = _mutate(code)(base)
    original = _invoice()
    original_when = when
    adjusted = Decimal(0)
    if code == "RCPT033":
        original_when = (sim.now() - dt.timedelta(days=400)).strftime(fdms_sim.FMT)
    if code == "RCPT035":
        adjusted = Decimal("-5.00")  # an earlier credit of 5.00: 11.55 - 5.00 - 11.55 < 0
    hub_codes = {p["code"] for p in validation.check(
        bad, taxes=TAXES, vat_payer=code != "RCPT021", original=original if note else None,
        original_date=original_when, adjusted=adjusted, today=today)}
    assert code in hub_codes, hub_codes
    # the good receipt is clean on both sides
    clean = _note() if note else _invoice()
    assert validation.check(clean, taxes=TAXES, vat_payer=True, original=original if note else None,
                            original_date=when, today=today) == []
    if code == "RCPT035":
        sim_original = {**original, "receiptTotal": Decimal("11.55")}
        d_codes = _sim_codes(sim, _note(), original=sim_original, when=when)  # the first credit of all of it
        assert d_codes == set()
        d = sim.devices[77]
        d.receipts[1]["adjusted"] = Decimal("-5.00")
        r = {**bad, "receiptCounter": 9, "receiptGlobalNo": 3, "invoiceNo": "Y", "receiptDate": when,
             "receiptDeviceSignature": {"hash": "", "signature": ""}}
        assert "RCPT035" in sim.validate(d, r, dt.datetime.strptime(when, fdms_sim.FMT))
        return
    sim_codes = _sim_codes(sim, bad, original=original if note else None, when=when, original_when=original_when)
    assert code in sim_codes, sim_codes
    assert _sim_codes(fdms_sim.FdmsSim(tmp_path / "again"), clean, original=original if note else None,
                      when=when) == set()

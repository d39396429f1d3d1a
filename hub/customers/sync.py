"""The `credit.payment` fact a till uploads (docs/sync.md, docs/customers.md): a payment on a
customer's account taken at the counter, applied through the same function as the API's
(hub.customers.credit.record_payment), idempotent by its id (default: the event's id).

Payload: {"id"?, "customer_id", "currency", "amount", "method", "provider"?, "reference"?, "note"?}.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hub.customers.schemas import Currency, Id, Positive
from hub.errors import FieldErrors

PERMISSION = "sales.sell"  # money taken at the counter, like a sale; a revoked till's is quarantined


class CreditPaymentFact(msgspec.Struct, forbid_unknown_fields=True):
    customer_id: Id
    currency: Currency
    amount: Positive
    method: str
    id: Id | None = None
    provider: Any = ""
    reference: Any = ""
    note: Any = ""


def apply_credit_payment(conn: Any, device: Any, payload: dict[str, Any], ctx: Any) -> Any:
    from hub.customers import credit
    from hub.sync.facts import Applied

    try:
        fact = msgspec.convert(payload, CreditPaymentFact)
    except msgspec.ValidationError as err:
        message, _, where = str(err).partition(" - at `$.")
        raise FieldErrors([(where.rstrip("`") or "payload", message)]) from err
    texts = {k: str(getattr(fact, k) or "")[:limit] for k, limit in (("provider", 40), ("reference", 64),
                                                                       ("note", 500))}
    payment, _ = credit.record_payment(conn, ctx.actor, fact.customer_id, payment_id=fact.id or ctx.event_id,
                                       currency=fact.currency, amount=fact.amount, method=fact.method,
                                       device_id=device.id, **texts)
    return Applied("credit_payment", payment["id"])

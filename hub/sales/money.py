"""Money rules of a sale, pure: currency conversion at the till's recorded rate, cash rounding,
and the FDMS money type of each tender method (docs/sales.md, "Currencies").

A rate is (rate, rate_scale): one unit of the receipt currency is rate / rate_scale units of the
other currency, as the store's exchange rates and derived prices state it (docs/pricing.md).
"""

from __future__ import annotations

from hub.pricing.rounding import div_round, round_to_step

METHODS = ("cash", "card", "mobile_money", "bank_transfer", "credit_account", "voucher", "store_credit")

# ZIMRA FDMS receiptPayments[].moneyTypeCode (fiscal/ZIMRA-FDMS.md: Cash, Card, MobileWallet,
# Coupon, Credit, BankTransfer, Other = 0..6).
MONEY_TYPE_CODES = {"Cash": 0, "Card": 1, "MobileWallet": 2, "Coupon": 3, "Credit": 4, "BankTransfer": 5,
                    "Other": 6}
_MONEY_TYPES = {
    "cash": "Cash",
    "card": "Card",
    "mobile_money": "MobileWallet",
    "bank_transfer": "BankTransfer",
    "credit_account": "Credit",
    "voucher": "Coupon",
    "store_credit": "Coupon",  # a store-issued credit note spent like a voucher
}


def money_type(method: str) -> str:
    """The FDMS moneyTypeCode name of a tender method (`Other` for one FDMS does not name)."""
    return _MONEY_TYPES.get(method, "Other")


def money_type_code(method: str) -> int:
    """The FDMS moneyTypeCode number (0..6) of a tender method."""
    return MONEY_TYPE_CODES[money_type(method)]


def to_receipt(amount: int, rate: int, rate_scale: int, decimals: int, receipt_decimals: int) -> int:
    """`amount` minor units of another currency in receipt-currency minor units:
    `amount × rate_scale × 10^dec(R) / (rate × 10^dec(C))`, rounded half away from zero to the
    receipt currency's minor unit (half-up for the positive amounts tenders and change are)."""
    return div_round(amount * rate_scale * 10 ** receipt_decimals, rate * 10 ** decimals)


def from_receipt(amount: int, rate: int, rate_scale: int, decimals: int, receipt_decimals: int) -> int:
    """Receipt-currency minor units in another currency's minor units, rounded half-up."""
    return div_round(amount * rate * 10 ** decimals, rate_scale * 10 ** receipt_decimals)


def cash_round(amount: int, step: int) -> int:
    """`amount` to the currency's smallest coin or note (`currencies.cash_rounding`), half-up."""
    return round_to_step(amount, step, "half_up")


def rounding_allowed(rounding: int, step: int) -> bool:
    """A sale's cash rounding is at most half the receipt currency's cash step either way."""
    return 2 * abs(rounding) <= step

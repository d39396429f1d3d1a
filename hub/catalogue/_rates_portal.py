"""What the Tax and Currencies portal pages share: numbers typed as text (percentages, amounts),
times typed in the store's time zone, a refusal put beside the fields it names, and cursor paging.

The parsers are pure and exact (integer arithmetic, never float): "15.5" is 1550 basis points,
"0.05" of a 2-decimal currency is 5 minor units, and text they cannot hold exactly is refused
rather than rounded.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from urllib.parse import urlencode

import msgspec

from hub.errors import FieldErrors, HubError
from hub.portal.parse import TypedError, amount_text, parse_amount, store_moment  # noqa: F401 (the pages' names)

MAX_PERCENT_BP = 10_000
MAX_BACK = 30  # earlier cursors a "Previous" link remembers (a query string stays short)
_PERCENT = re.compile(r"^([0-9]{1,3})(?:\.([0-9]+))?$")
# A message that continues the field's label ("Rate" + "is required"); others are sentences.
_PREDICATES = ("is ", "must ", "has ", "needs ", "goes ", "are ", "cannot ", "should ", "was ")


class FormValues(dict):
    """What was typed into a form, to fill it again; a field not sent reads as empty text."""

    def __missing__(self, key: str) -> str:
        return ""


def parse_percent(text: str) -> int:
    """"15.5" (or "15.5 %") -> 1550 basis points, exactly; at most 2 decimals, 0 to 100."""
    value = text.strip().removesuffix("%").strip()
    if not value:
        raise TypedError("is required")
    match = _PERCENT.match(value)
    if match is None:
        raise TypedError("must be a percentage such as 15 or 15.5")
    whole, fraction = match[1], match[2] or ""
    if len(fraction) > 2:
        raise TypedError("has at most 2 decimals (15.25 is the finest rate)")
    bp = int(whole) * 100 + int(fraction.ljust(2, "0"))
    if bp > MAX_PERCENT_BP:
        raise TypedError("must be at most 100")
    return bp


def format_percent(bp: int, sign: bool = True) -> str:
    """1550 -> "15.5%", 1500 -> "15%", 1525 -> "15.25%" (sign=False: "15.5", for an input)."""
    whole, fraction = divmod(bp, 100)
    text = str(whole) if not fraction else f"{whole}.{fraction:02d}".rstrip("0")
    return text + ("%" if sign else "")


def format_amount(minor: int, decimals: int) -> str:
    """5 minor units of a 2-decimal currency -> "0.05"."""
    return amount_text(minor, decimals)


def parse_local(text: str, zone: dt.tzinfo) -> str | None:
    """A wall-clock time typed in the store's zone ("2026-03-01T00:00", as a datetime-local input
    sends it, or "2026-03-01 00:00") -> ISO 8601 with that zone's offset; None when left empty."""
    if not text.strip():
        return None
    try:
        return store_moment(text, zone).isoformat()
    except TypedError:
        raise TypedError("is not a date and time, such as 2026-03-01 00:00") from None


def labelled(label: str, message: str) -> str:
    """"Rate" + "is required" -> "Rate is required."; a message that is a sentence stands alone."""
    text = f"{label} {message}" if message.startswith(_PREDICATES) else message[:1].upper() + message[1:]
    return text if text.endswith(".") else text + "."


def _reason(text: str, hint: str | None) -> str:
    """A msgspec message ("Expected `str` of length <= 60") as a predicate a person can act on."""
    reason = text.split(" - at ")[0]
    longest = re.search(r"length <= (\d+)", reason)
    low, high = re.search(r">= (-?\d+)", reason), re.search(r"<= (-?\d+)", reason)
    if "length >= 1" in reason:
        return "is required"
    if longest:
        return f"is at most {longest[1]} characters"
    if hint:
        return hint
    if low:
        return f"must be at least {low[1]}"
    if high:
        return f"must be at most {high[1]}"
    return "has the wrong format"


def check_fields(struct_type: type, raw: Mapping[str, Any], hints: Mapping[str, str] | None = None,
                 ) -> list[tuple[str, str]]:
    """Each field of `raw` against its type in the API's struct: (field, predicate) for every one
    that the API would refuse (msgspec stops at the first; a form should name them all)."""
    types = {f.name: f.type for f in msgspec.structs.fields(struct_type)}
    errors = []
    for name, value in raw.items():
        try:
            msgspec.convert(value, types[name])
        except msgspec.ValidationError as err:
            errors.append((name, _reason(str(err), (hints or {}).get(name))))
    return errors


@dataclass
class Refusal:
    """A refused form as the page shows it: a summary on top and a message beside each field."""

    status: int
    summary: str
    errors: dict[str, str] = field(default_factory=dict)  # form field -> message
    others: list[str] = field(default_factory=list)  # messages about no field of this form

    @property
    def messages(self) -> list[tuple[str, str]]:
        return list(self.errors.items())


def refusal(err: HubError, labels: Mapping[str, str], names: Mapping[str, str] | None = None,
            wording: Mapping[str, str] | None = None) -> Refusal:
    """`err` (FieldErrors, a 409 naming its field, or a plain refusal) for a form whose inputs
    are `labels` (form field -> label); `names` maps the API's field names to form fields and
    `wording` replaces API words in messages ("rate_bp" -> "the rate")."""
    names, wording = names or {}, wording or {}

    def reword(text: str) -> str:
        for old, new in wording.items():
            text = text.replace(old, new)
        return text

    pairs: list[tuple[str, str]] = [(e["field"], e["message"]) for e in err.extra.get("errors", [])]
    pairs += [(f, "is HQ's to change once the hub is enrolled") for f in err.extra.get("fields", [])]
    shown = Refusal(err.status, "")
    for api_field, message in pairs:
        name = names.get(api_field, api_field)
        if name in labels:
            shown.errors.setdefault(name, labelled(labels[name], reword(message)))
        else:
            shown.others.append(labelled(api_field, reword(message)))
    if shown.errors:
        count = len(shown.errors)
        shown.summary = ("Nothing was saved: " +
                         ("check the field marked below." if count == 1 else
                          f"check the {count} fields marked below."))
    else:
        shown.summary = labelled("", reword(err.detail)).strip() if not pairs else "Nothing was saved."
    return shown


def typed(errors: list[tuple[str, str]], name: str, parse: Any, *args: Any) -> Any:
    """parse(*args), or None with (name, why) added to `errors` when the text is refused."""
    try:
        return parse(*args)
    except TypedError as err:
        errors.append((name, str(err)))
        return None


def raise_if(errors: Iterable[tuple[str, str]]) -> None:
    found = list(errors)
    if found:
        raise FieldErrors(found)


def pager(path: str, filters: Mapping[str, str], after: str | None, back: str,
          next_after: str | None) -> dict[str, str | None]:
    """"Previous" and "Next" links of a cursor-paged list: `back` carries the cursors of the
    pages before this one (comma-separated), so going back needs no cursor in reverse."""
    kept = {k: v for k, v in filters.items() if v}
    earlier = [c for c in back.split(",") if c] if back else []

    def href(cursor: str | None, trail: list[str]) -> str:
        query = {**kept, **({"after": cursor} if cursor else {}),
                 **({"back": ",".join(trail[-MAX_BACK:])} if trail and cursor else {})}
        return path + ("?" + urlencode(query) if query else "")

    previous = None
    if after:
        previous = href(earlier[-1], earlier[:-1]) if earlier else href(None, [])
    following = href(next_after, [*earlier, after] if after else []) if next_after else None
    return {"previous": previous, "next": following}

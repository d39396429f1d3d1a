"""What the Categories, Units and Suppliers pages share: a form read through the API's own structs,
and a refusal turned into a message beside each input it names plus a summary for the top.

A form is checked field by field against the API's `...Update` struct (every field optional), so
one post reports every wrong field at once rather than msgspec's first; the whole is then
converted to the struct the API route takes, so the portal accepts exactly what the API accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, TypeVar

import msgspec

from hub.errors import FieldErrors, HubError

S = TypeVar("S", bound=msgspec.Struct)


def sentence(text: str) -> str:
    """`text` with a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def clause(text: str) -> str:
    """`text` as it follows a field's label ("Lead time: must be at most 365."): a full stop, the
    first letter as it was; the page capitalises it where it stands alone."""
    text = text.strip()
    return text + ("" if not text or text.endswith((".", "!", "?")) else ".")


def _reason(message: str, name: str, formats: Mapping[str, str]) -> str:
    """msgspec's "Expected `int` <= 365 - at `$.lead_time_days`" as "must be at most 365"."""
    reason = message.split(" - at ", 1)[0]
    if "length >= 1" in reason:
        return "is required"
    if found := re.search(r"length <= (\d+)", reason):
        return f"is at most {found[1]} characters"
    if found := re.search(r"`int` >= (-?\d+)", reason):
        return f"must be at least {found[1]}"
    if found := re.search(r"`int` <= (-?\d+)", reason):
        return f"must be at most {found[1]}"
    if "regex" in reason:
        return formats.get(name, "has the wrong format")
    return reason[0].lower() + reason[1:]


def checked(values: dict[str, Any], *, each: type[msgspec.Struct], whole_as: type[S],
            formats: Mapping[str, str] | None = None, errors: dict[str, str] | None = None) -> S:
    """`values` as the API's `whole_as` struct; FieldErrors naming every field `each` refuses
    (and any `errors` found while reading the form), with `formats` saying what a pattern wants."""
    wrong = dict(errors or {})
    for name, value in values.items():
        if name in wrong:
            continue
        try:
            msgspec.convert({name: value}, each)
        except msgspec.ValidationError as err:
            wrong[name] = _reason(str(err), name, formats or {})
    if wrong:
        raise FieldErrors(list(wrong.items()))  # messages as the API words them
    try:
        return msgspec.convert(values, whole_as)
    except msgspec.ValidationError as err:  # a required field the form did not send at all
        missing = re.search(r"missing required field `([^`]+)`", str(err))
        raise FieldErrors([(missing[1] if missing else "form", "is required" if missing else str(err))]) from err


@dataclass
class Refusal:
    """What a refused form shows: the HTTP status, a summary, a message per input."""

    status: int = 200
    summary: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.summary or self.errors)


HQ_OWNED = "HQ owns this once the hub is enrolled; change it at HQ"


def refusal(err: HubError, lead: str = "Nothing was saved") -> Refusal:
    """A service's refusal: FieldErrors and conflicts name their fields (`errors`), a form's own
    check names one (`field`), an HQ-owned change lists `fields`."""
    errors: dict[str, str] = {}
    for item in err.extra.get("errors", ()):
        errors.setdefault(item["field"], clause(item["message"]))
    if isinstance(err.extra.get("field"), str):
        errors.setdefault(err.extra["field"], clause(err.detail))
    for name in err.extra.get("fields", ()):
        errors.setdefault(name, clause(HQ_OWNED))
    if errors:
        return Refusal(err.status, f"{lead}.", errors)
    return Refusal(err.status, f"{lead}: {sentence(err.detail)}")


def state_refusal(err: HubError, lead: str) -> Refusal:
    """An archive or restore refused: the reason goes beside that button (`active`), whichever
    field the service named (restoring under an archived parent names `parent_id`)."""
    refused = refusal(err, lead)
    reason = " ".join(refused.errors.values()) or sentence(err.detail)
    return Refusal(err.status, f"{lead}.", {"active": reason})

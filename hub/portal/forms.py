"""Reading HTML form fields: always strings, bounded, with messages a person can act on."""

from __future__ import annotations

from typing import Any

from hub.errors import InvalidInputError


class Form:
    """A submitted form; a field sent as a file or several times reads as its first text value."""

    def __init__(self, data: Any) -> None:
        self.data = data

    def get(self, name: str, default: str = "") -> str:
        values = self.getall(name)
        return values[0] if values else default

    def getall(self, name: str) -> list[str]:
        getall = getattr(self.data, "getall", None)
        values = getall(name, []) if getall else ([self.data[name]] if name in self.data else [])
        return [v for v in values if isinstance(v, str)]

    def text(self, name: str, label: str, *, max_length: int, required: bool = True,
             strip: bool = True) -> str:
        """The field's text; InvalidInputError naming `label` when it is missing or too long."""
        value = self.get(name)
        value = value.strip() if strip else value
        if required and not value:
            raise InvalidInputError(f"{label} is required", code="invalid_input", extra={"field": name})
        if len(value) > max_length:
            raise InvalidInputError(f"{label} is at most {max_length} characters", code="invalid_input",
                                    extra={"field": name})
        return value

    def optional(self, name: str, label: str, *, max_length: int) -> str | None:
        """The field's text, or None when it was left empty."""
        value = self.text(name, label, max_length=max_length, required=False, strip=False)
        return value if value.strip() else None

    def checked(self, name: str) -> bool:
        return self.get(name) in ("on", "1", "true", "yes")

    def values(self) -> dict[str, str]:
        """Every text field except the CSRF token, to fill a form again after an error."""
        keys = self.data.keys() if hasattr(self.data, "keys") else []
        return {k: self.get(k) for k in keys if k != "_csrf_token" and "password" not in k and "pin" not in k}

"""The pairing QR code as SVG (qrcode's own SVG path factory: no Pillow, no JavaScript)."""

from __future__ import annotations

import json
from typing import Any


def qr_svg(payload: dict[str, Any]) -> str:
    """An SVG QR code of `payload` as compact JSON with sorted keys; CPU-bound, so call it off the loop."""
    # Imported here, on the first pairing, not when the hub starts (qrcode brings in ElementTree).
    import qrcode
    from qrcode.image.svg import SvgPathImage

    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    image = qrcode.make(text, image_factory=SvgPathImage)
    return image.to_string(encoding="unicode")

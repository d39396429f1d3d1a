"""Pure pieces of discovery: the hub's TXT record, service names, key pins (no I/O)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Mapping

HUB_TYPE = "_soko-hub._tcp.local."
PRINTER_TYPES = ("_pdl-datastream._tcp.local.", "_printer._tcp.local.")
RAW_PRINT_PORT = 9100  # what an ESC/POS printer listens on beside LPD (an LPD-only advert names 515)
MAX_LABEL = 63  # RFC 6763 section 4.1.1: an instance name is at most 63 bytes


@dataclass(frozen=True)
class HubAdvert:
    """What the hub tells the LAN about itself (DESIGN.md section 7)."""

    hub_id: str
    store: str
    port: int
    pin: str  # base64 SHA-256 of the TLS key's SubjectPublicKeyInfo; "" in plain-HTTP mode
    version: str = "1"
    api: str = "/api/v1"

    @property
    def instance(self) -> str:
        return f"Soko Hub {self.hub_id}"[:MAX_LABEL]

    @property
    def name(self) -> str:
        return f"{self.instance}.{HUB_TYPE}"

    @property
    def host(self) -> str:
        # Its own host name, so it never fights the system's responder (avahi) over <hostname>.local.
        return f"soko-hub-{self.hub_id[-12:].lower()}.local."

    def txt(self) -> dict[str, str]:
        return {"id": self.hub_id, "store": self.store, "v": self.version, "api": self.api, "pin": self.pin}


def decode_txt(properties: Mapping[bytes, bytes | None]) -> dict[str, str]:
    return {k.decode("utf-8", "replace"): (v or b"").decode("utf-8", "replace") for k, v in properties.items()}


def spki_pin_of_der_cert(der: bytes) -> str:
    """RFC 7469 pin (base64 SHA-256 of SubjectPublicKeyInfo) of a DER certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = x509.load_der_x509_certificate(der).public_key()
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def pins_match(expected: str, found: str) -> bool:
    return bool(expected) and hmac.compare_digest(expected.encode(), found.encode())


def printer_entry(type_: str, instance: str, host: str, port: int, found_at: str) -> dict[str, str]:
    """One offered network printer: name, raw-print address, and when it was seen."""
    raw_port = port if type_.startswith("_pdl-datastream") else RAW_PRINT_PORT
    return {"name": instance, "address": f"tcp://{host}:{raw_port}", "found_at": found_at,
            "service": type_.split(".")[0]}

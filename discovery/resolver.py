"""The till-side resolver: where is my hub? mDNS first, then the last known address, then a
configured one; an address counts only once a real TLS handshake shows the pinned key.

    hub = HubResolver(pin="base64 SPKI SHA-256", hub_id="...", configured="https://10.0.0.2:443",
                      state_file=Path("last-hub.json")).resolve()
    hub.url  # "https://10.0.0.7:8443"; hub.source: "mdns", "last_known" or "configured"

The pin is RFC 7469's (base64 SHA-256 of the certificate's SubjectPublicKeyInfo), learnt at
pairing. The certificate itself is not trusted (the hub signs its own); only the key is. An
advert whose TXT pin differs is not even tried, and an address whose key differs is refused
(another hub, or someone in the middle). The found address is saved to `state_file`, so the
next start tries it first when mDNS is blocked (some Wi-Fi access points drop multicast).
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from discovery.matchers import HUB_TYPE, decode_txt, pins_match, spki_pin_of_der_cert

MDNS_TIMEOUT_S = 3.0  # how long mDNS is given before the last known address is tried
HANDSHAKE_TIMEOUT_S = 2.0
INFO_TIMEOUT_MS = 1000


class HubNotFoundError(Exception):
    """No address answered with the pinned key."""


class PinMismatchError(Exception):
    """The server at an address holds another key than the pinned one."""


@dataclass(frozen=True)
class ResolvedHub:
    host: str
    port: int
    source: str  # "mdns", "last_known" or "configured"
    pin: str
    hub_id: str | None = None
    api: str = "/api/v1"

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"


def key_pin_at(host: str, port: int, timeout: float | None = None) -> str:
    """The key pin the server at host:port presents in a TLS handshake."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the key is checked against the pin instead of a CA
    with socket.create_connection((host, port), timeout=timeout or HANDSHAKE_TIMEOUT_S) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    if der is None:
        raise PinMismatchError(f"{host}:{port} presented no certificate")
    return spki_pin_of_der_cert(der)


def verify_pin(host: str, port: int, pin: str) -> None:
    seen = key_pin_at(host, port)
    if not pins_match(pin, seen):
        raise PinMismatchError(f"{host}:{port} holds key {seen}, not the pinned {pin}")


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "//" in url else f"https://{url}")
    if not parts.hostname:
        raise ValueError(f"{url!r} names no host")
    return parts.hostname, parts.port or 443


def find_by_mdns(interfaces: list[str], timeout: float, *, pin: str | None = None,
                 hub_id: str | None = None) -> list[dict[str, Any]]:
    """Adverts of _soko-hub._tcp answering within `timeout`: the first whose TXT matches `pin`
    and `hub_id` (each when given) ends the wait. Each: addresses, port, txt, name."""
    from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

    found: list[dict[str, Any]] = []
    names: list[str] = []
    wake = threading.Event()

    def handler(zeroconf: Any, service_type: str, name: str, state_change: Any) -> None:
        if state_change in (ServiceStateChange.Added, ServiceStateChange.Updated):
            names.append(name)
            wake.set()

    zc = Zeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
    browser = ServiceBrowser(zc, HUB_TYPE, handlers=[handler])
    try:
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while True:
            for name in [n for n in names if n not in seen]:
                left_ms = int(max(0.0, deadline - time.monotonic()) * 1000)
                info = zc.get_service_info(HUB_TYPE, name, timeout=min(INFO_TIMEOUT_MS, max(left_ms, 1)))
                if info is None or info.port is None:
                    continue
                seen.add(name)
                txt = decode_txt(info.properties)
                entry = {"name": name, "addresses": info.parsed_addresses(), "port": info.port, "txt": txt}
                found.append(entry)
                if (pin is None or pins_match(pin, txt.get("pin", ""))) and (hub_id is None or txt.get("id") == hub_id):
                    return found
            left = deadline - time.monotonic()
            if left <= 0:
                return found
            wake.wait(min(left, 0.05))
            wake.clear()
    finally:
        browser.cancel()
        zc.close()


class HubResolver:
    """Finds the paired hub: mDNS, then the last known address, then the configured one."""

    def __init__(self, *, pin: str, hub_id: str | None = None, configured: str | None = None,
                 last_known: str | None = None, state_file: Path | None = None,
                 interfaces: list[str] | str = "lan", mdns: bool = True) -> None:
        if not pin:
            raise ValueError("a resolver needs the hub's key pin (learnt at pairing)")
        self.pin = pin
        self.hub_id = hub_id
        self.configured = configured
        self.state_file = state_file
        self.last_known = last_known or self._read_last_known()
        self.interfaces = interfaces
        self.mdns = mdns
        self.refused: list[str] = []  # what was tried and why it failed, for the till's diagnostics

    def _read_last_known(self) -> str | None:
        if self.state_file is None:
            return None
        try:
            return json.loads(self.state_file.read_text())["url"]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _remember(self, hub: ResolvedHub) -> None:
        if self.state_file is None:
            return
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"url": hub.url, "hub_id": hub.hub_id, "source": hub.source}))
        os.replace(tmp, self.state_file)

    def _interfaces(self) -> list[str]:
        if isinstance(self.interfaces, list):
            return self.interfaces
        from discovery.addresses import interfaces_for

        return interfaces_for(self.interfaces)

    def _try(self, host: str, port: int) -> bool:
        try:
            verify_pin(host, port, self.pin)
            return True
        except (OSError, PinMismatchError, ssl.SSLError, ValueError) as err:
            self.refused.append(f"{host}:{port}: {err}")
            return False

    def resolve(self, mdns_timeout: float | None = None) -> ResolvedHub:
        found = self._resolve(MDNS_TIMEOUT_S if mdns_timeout is None else mdns_timeout)
        self._remember(found)
        return found

    def _resolve(self, mdns_timeout: float) -> ResolvedHub:
        interfaces = self._interfaces() if self.mdns else []
        if interfaces:
            for advert in reversed(find_by_mdns(interfaces, mdns_timeout, pin=self.pin, hub_id=self.hub_id)):
                txt = advert["txt"]
                if not pins_match(self.pin, txt.get("pin", "")) or (self.hub_id and txt.get("id") != self.hub_id):
                    self.refused.append(f"{advert['name']}: another hub (pin or id differs)")
                    continue
                for host in advert["addresses"]:
                    if self._try(host, advert["port"]):
                        return ResolvedHub(host, advert["port"], "mdns", self.pin, txt.get("id"),
                                           txt.get("api") or "/api/v1")
        for source, url in (("last_known", self.last_known), ("configured", self.configured)):
            if not url:
                continue
            host, port = _host_port(url)
            if self._try(host, port):
                return ResolvedHub(host, port, source, self.pin, self.hub_id)
        raise HubNotFoundError("no hub answered with the pinned key: " + ("; ".join(self.refused) or "nothing found"))

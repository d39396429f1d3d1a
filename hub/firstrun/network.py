"""The wizard's network step: what the technician chose, checked here, then applied by the image's
privileged helper (image/overlay/usr/lib/soko-hub/helper, which checks it again) through its one
client, hub.ops.helper. The hub process itself never touches the system's network configuration."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

MODES = ("keep", "static", "wifi")
_PRINTABLE = re.compile(r"^[\x20-\x7e]{8,63}$")


class NetworkChoiceError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class NetworkChoice:
    mode: str = "keep"
    address: str = ""   # static: 192.168.1.20/24
    gateway: str = ""
    dns: str = ""
    ssid: str = ""      # wifi
    passphrase: str = ""

    def helper_request(self) -> tuple[str, ...] | None:
        """The helper's request (verb and arguments, for hub.ops.helper.ask), or None when nothing
        is to change."""
        if self.mode == "static":
            return ("network", "static", self.address, self.gateway, *([self.dns] if self.dns else []))
        if self.mode == "wifi":
            return ("network", "wifi", self.ssid.encode().hex(), self.passphrase.encode().hex())
        return None

    def describe(self) -> str:
        if self.mode == "static":
            return f"Ethernet with the fixed address {self.address}, gateway {self.gateway}" + \
                (f", DNS {self.dns}" if self.dns else "")
        if self.mode == "wifi":
            return f"join the Wi-Fi network {self.ssid!r} (the setup hotspot closes)"
        return "keep the current network (Ethernet by DHCP)"


def _ipv4(value: str) -> ipaddress.IPv4Address:
    if not re.fullmatch(r"[0-9.]{7,15}", value):
        raise ValueError
    return ipaddress.IPv4Address(value)


def parse_choice(fields: dict[str, str]) -> NetworkChoice:
    """The choice from the form's fields; NetworkChoiceError naming each refused field."""
    mode = fields.get("mode", "keep")
    errors: dict[str, str] = {}
    if mode not in MODES:
        raise NetworkChoiceError({"mode": "choose how the hub joins the network"})
    if mode == "static":
        address, gateway, dns = (fields.get(k, "").strip() for k in ("address", "gateway", "dns"))
        network = None
        try:
            ip, _, prefix = address.partition("/")
            if not prefix.isdigit() or not 8 <= int(prefix) <= 30:
                raise ValueError
            network = ipaddress.IPv4Interface(f"{_ipv4(ip)}/{int(prefix)}")
        except ValueError:
            errors["address"] = "an IPv4 address with its prefix length, such as 192.168.1.20/24 (8 to 30)"
        try:
            gw = _ipv4(gateway)
            if network is not None and gw not in network.network:
                errors["gateway"] = f"the gateway must be inside {network.network}"
        except ValueError:
            errors["gateway"] = "an IPv4 address, such as 192.168.1.1"
        if dns:
            try:
                _ipv4(dns)
            except ValueError:
                errors["dns"] = "an IPv4 address, such as 192.168.1.1 (or leave it empty)"
        if errors:
            raise NetworkChoiceError(errors)
        return NetworkChoice("static", address=address, gateway=gateway, dns=dns)
    if mode == "wifi":
        ssid, passphrase = fields.get("ssid", ""), fields.get("passphrase", "")
        if not ssid.strip() or len(ssid.encode()) > 32:
            errors["ssid"] = "the network's name (SSID), 1 to 32 bytes"
        if not _PRINTABLE.match(passphrase):
            errors["passphrase"] = "the Wi-Fi passphrase: 8 to 63 printable characters (WPA2)"
        if errors:
            raise NetworkChoiceError(errors)
        return NetworkChoice("wifi", ssid=ssid, passphrase=passphrase)
    return NetworkChoice()

"""The machine's LAN IPv4 addresses (through ifaddr, which python-zeroconf brings)."""

from __future__ import annotations

import ipaddress


def lan_ipv4() -> list[str]:
    """Every IPv4 address on an interface that is not loopback or link-local, sorted."""
    import ifaddr

    found = set()
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not isinstance(ip.ip, str):
                continue  # IPv6
            address = ipaddress.IPv4Address(ip.ip)
            if not (address.is_loopback or address.is_link_local or address.is_multicast):
                found.add(address)
    return [str(a) for a in sorted(found)]


def interfaces_for(choice: str) -> list[str]:
    """The IPv4 addresses mDNS runs on for a setting: "lan" (every LAN address) or a list."""
    if choice.strip().lower() == "lan":
        return lan_ipv4()
    return [str(ipaddress.IPv4Address(part.strip())) for part in choice.split(",") if part.strip()]

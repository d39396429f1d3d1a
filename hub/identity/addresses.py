"""The names a till may use to reach the hub: hostname, <hostname>.local and LAN addresses."""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from pathlib import Path

SIOCGIFADDR = 0x8915  # Linux ioctl: an interface's IPv4 address (netdevice(7))
IF_INET6 = Path("/proc/net/if_inet6")


def _ipv4_of(interface: str) -> ipaddress.IPv4Address | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            packed = fcntl.ioctl(s.fileno(), SIOCGIFADDR, struct.pack("256s", interface.encode()[:15]))
        except OSError:  # interface down or without IPv4
            return None
    return ipaddress.IPv4Address(packed[20:24])


def _ipv6_addresses() -> list[ipaddress.IPv6Address]:
    try:
        lines = IF_INET6.read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        raw = line.split()[0]
        address = ipaddress.IPv6Address(int(raw, 16))
        if not (address.is_link_local or address.is_loopback):  # link-local needs a zone; no use in a cert
            found.append(address)
    return found


def lan_addresses() -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every non-loopback address of this machine, IPv4 first, sorted and unique."""
    v4 = {a for _, name in socket.if_nameindex() if (a := _ipv4_of(name)) and not a.is_loopback}
    return [*sorted(v4), *sorted(set(_ipv6_addresses()))]


def hostnames() -> list[str]:
    host = socket.gethostname().split(".")[0] or "soko-hub"
    return [host, f"{host}.local"]

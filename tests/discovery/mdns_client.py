"""Test helpers: a separate zeroconf instance on loopback that resolves or registers services."""

from __future__ import annotations

import socket
import time
from contextlib import contextmanager
from typing import Iterator

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf

from discovery.matchers import HUB_TYPE, decode_txt

LOOPBACK = "127.0.0.1"


@contextmanager
def loopback_zeroconf() -> Iterator[Zeroconf]:
    zc = Zeroconf(interfaces=[LOOPBACK], ip_version=IPVersion.V4Only)
    try:
        yield zc
    finally:
        zc.close()


def find_hubs(zc: Zeroconf, hub_id: str, timeout: float = 5.0) -> dict[str, ServiceInfo]:
    """Browse _soko-hub._tcp until the hub `hub_id` resolved (name -> info). Other hubs that
    other tests on this machine run on loopback are left out."""
    found: dict[str, ServiceInfo] = {}
    names: list[str] = []

    def handler(zeroconf, service_type, name, state_change):
        if state_change is ServiceStateChange.Added:
            names.append(name)

    browser = ServiceBrowser(zc, HUB_TYPE, handlers=[handler])
    try:
        deadline = time.monotonic() + timeout
        tried: set[str] = set()
        while time.monotonic() < deadline and not found:
            for name in list(names):
                if name not in tried:
                    info = zc.get_service_info(HUB_TYPE, name, timeout=1000)
                    if info is not None:
                        tried.add(name)
                        if txt(info).get("id") == hub_id:
                            found[name] = info
            time.sleep(0.05)
    finally:
        browser.cancel()
    return found


def txt(info: ServiceInfo) -> dict[str, str]:
    return decode_txt(info.properties)


@contextmanager
def printer_service(zc: Zeroconf, name: str, type_: str, port: int, host: str = "lp1.local.") -> Iterator[ServiceInfo]:
    info = ServiceInfo(type_, f"{name}.{type_}", addresses=[socket.inet_aton(LOOPBACK)], port=port,
                       properties={"ty": name}, server=host)
    zc.register_service(info)
    try:
        yield info
    finally:
        zc.unregister_service(info)

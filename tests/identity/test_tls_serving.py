"""The running hub over HTTPS: a moved address re-issues the certificate live, with the same key."""

import ipaddress
import ssl
import time

import httpx
from cryptography import x509

import hub.identity.addresses as addresses
import hub.identity.subsystem as subsystem
from hub.identity.tls import spki_pin
from tests.hubtest import HubServer, make_demo_store, make_settings


def peer_certificate(port: int) -> x509.Certificate:
    return x509.load_pem_x509_certificate(ssl.get_server_certificate(("127.0.0.1", port)).encode())


def ip_sans(cert: x509.Certificate) -> set[str]:
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(a) for a in ext.get_values_for_type(x509.IPAddress)}


def test_a_new_lan_address_reaches_new_connections_without_a_restart(tmp_path, monkeypatch):
    lan = [ipaddress.ip_address("10.1.1.10")]
    monkeypatch.setattr(addresses, "lan_addresses", lambda: list(lan))
    monkeypatch.setattr(subsystem, "ADDRESS_CHECK_INTERVAL_S", 0.05)
    settings = make_settings(tmp_path / "var", tls=True)
    make_demo_store(settings)
    server = HubServer(settings).start()
    try:
        health = httpx.get(f"{server.url}/api/v1/health", verify=False).json()
        first = peer_certificate(server.port)
        assert "10.1.1.10" in ip_sans(first) and health["tls"]["enabled"] is True
        assert spki_pin(first.public_key()) == health["tls"]["key_pin"]

        lan[:] = [ipaddress.ip_address("10.1.1.77")]  # the DHCP lease moved
        deadline = time.monotonic() + 10
        moved = first
        while "10.1.1.77" not in ip_sans(moved) and time.monotonic() < deadline:
            time.sleep(0.05)
            moved = peer_certificate(server.port)
        assert "10.1.1.77" in ip_sans(moved) and "10.1.1.10" not in ip_sans(moved)
        assert spki_pin(moved.public_key()) == health["tls"]["key_pin"]  # pinned tills are unaffected
        assert httpx.get(f"{server.url}/api/v1/health", verify=False).json()["tls"]["key_pin"] == health["tls"]["key_pin"]
    finally:
        server.stop()

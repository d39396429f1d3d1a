import datetime as dt
import ipaddress
import socket
import ssl
import stat
import subprocess
import sys
import threading

from cryptography import x509

from hub.identity.tls import CERT_LIFETIME, RENEW_BEFORE, ensure_identity, spki_pin

LAN = [ipaddress.ip_address("10.20.0.5")]


def sans(path):
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(ext.get_values_for_type(x509.DNSName)), {str(a) for a in ext.get_values_for_type(x509.IPAddress)}


def test_first_start_makes_a_private_key_and_a_certificate_naming_the_hub(tmp_path):
    ident = ensure_identity(tmp_path, ["till-hub", "till-hub.local"], LAN)
    assert ident.reissued
    assert stat.S_IMODE(ident.key_path.stat().st_mode) == 0o600
    dns, ips = sans(ident.cert_path)
    assert dns == {"till-hub", "till-hub.local", "localhost"}
    assert ips == {"10.20.0.5", "127.0.0.1"}


def test_an_unchanged_address_keeps_the_certificate(tmp_path):
    ensure_identity(tmp_path, ["h", "h.local"], LAN)
    before = (tmp_path / "hub-cert.pem").read_bytes()
    again = ensure_identity(tmp_path, ["h", "h.local"], LAN)
    assert not again.reissued and (tmp_path / "hub-cert.pem").read_bytes() == before


def test_a_new_address_reissues_the_certificate_with_the_same_key(tmp_path):
    first = ensure_identity(tmp_path, ["h", "h.local"], LAN)
    moved = ensure_identity(tmp_path, ["h", "h.local"], [ipaddress.ip_address("192.168.7.9")])
    assert moved.reissued and moved.pin == first.pin
    assert sans(moved.cert_path)[1] == {"192.168.7.9", "127.0.0.1"}
    cert = x509.load_pem_x509_certificate(moved.cert_path.read_bytes())
    assert spki_pin(cert.public_key()) == first.pin


def test_expiry_nearing_reissues_with_the_same_key(tmp_path):
    now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    first = ensure_identity(tmp_path, ["h"], LAN, now=now)
    later = now + CERT_LIFETIME - RENEW_BEFORE + dt.timedelta(days=1)
    renewed = ensure_identity(tmp_path, ["h"], LAN, now=later)
    assert renewed.reissued and renewed.pin == first.pin and renewed.not_after > first.not_after


def test_a_till_pinning_the_key_accepts_the_reissued_certificate(tmp_path):
    """A real TLS handshake on 127.0.0.1: the client checks the SPKI pin, not a CA."""
    first = ensure_identity(tmp_path, ["h"], LAN)
    ensure_identity(tmp_path, ["h"], [ipaddress.ip_address("10.99.0.1")])  # address changed
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(first.cert_path, first.key_path)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve_once():
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"ok")

    thread = threading.Thread(target=serve_once)
    thread.start()
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE  # trust comes from the pin below
    with socket.create_connection(("127.0.0.1", port)) as raw, client_ctx.wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
        assert tls.recv(2) == b"ok"
    thread.join(5)
    listener.close()
    assert spki_pin(x509.load_der_x509_certificate(der).public_key()) == first.pin


def test_an_unchanged_identity_is_known_without_loading_cryptography(tmp_path):
    first = ensure_identity(tmp_path, ["h", "h.local"], LAN)
    out = subprocess.run(
        [sys.executable, "-c", "import ipaddress, sys; from pathlib import Path; "
         "from hub.identity.tls import ensure_identity; "
         f"i = ensure_identity(Path({str(tmp_path)!r}), ['h', 'h.local'], [ipaddress.ip_address('10.20.0.5')]); "
         "print(i.reissued, i.pin, i.not_after, any(m.startswith('cryptography') for m in sys.modules))"],
        capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert out == ["False", first.pin, first.not_after, "False"]


def test_a_certificate_or_key_replaced_behind_the_hubs_back_is_checked_in_full(tmp_path):
    first = ensure_identity(tmp_path, ["h"], LAN)
    stranger = ensure_identity(tmp_path / "other", ["h"], LAN)  # same names, another key
    (tmp_path / "hub-cert.pem").write_bytes(stranger.cert_path.read_bytes())
    again = ensure_identity(tmp_path, ["h"], LAN)
    assert again.reissued and again.pin == first.pin
    assert spki_pin(x509.load_pem_x509_certificate(again.cert_path.read_bytes()).public_key()) == first.pin
    (tmp_path / "hub-key.pem").write_bytes(stranger.key_path.read_bytes())
    moved = ensure_identity(tmp_path, ["h"], LAN)
    assert moved.reissued and moved.pin == stranger.pin

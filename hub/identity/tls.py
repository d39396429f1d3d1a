"""The hub's own TLS key and certificate.

The key is made once and kept: tills pin its public key (SPKI SHA-256), not the certificate. The
certificate names the hostname, `<hostname>.local`, localhost and the current addresses, and is
re-issued with the same key when an address changes or expiry nears, so a pinned till never
notices.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_LIFETIME = dt.timedelta(days=825)
RENEW_BEFORE = dt.timedelta(days=30)
KEY_FILE = "hub-key.pem"
CERT_FILE = "hub-cert.pem"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class TlsIdentity:
    key_path: Path
    cert_path: Path
    pin: str  # base64(SHA-256(SubjectPublicKeyInfo DER)), as in RFC 7469
    names: tuple[str, ...]
    addresses: tuple[str, ...]
    not_after: str
    reissued: bool


def spki_pin(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_or_create_key(directory: Path) -> ec.EllipticCurvePrivateKey:
    path = directory / KEY_FILE
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} is not an EC key")
        return key
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    _write_private(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return key


def _sans(cert: x509.Certificate) -> tuple[set[str], set[str]]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    return (set(ext.get_values_for_type(x509.DNSName)),
            {str(a) for a in ext.get_values_for_type(x509.IPAddress)})


def _issue(key: ec.EllipticCurvePrivateKey, names: Sequence[str], addresses: Sequence[Address],
           now: dt.datetime) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Soko Hub")])
    san = [x509.DNSName(n) for n in names] + [x509.IPAddress(a) for a in addresses]
    return (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + CERT_LIFETIME)
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )


def ensure_identity(directory: Path, names: Sequence[str], addresses: Sequence[Address],
                    now: dt.datetime | None = None) -> TlsIdentity:
    """Make the key once; (re)issue the certificate when names, addresses or expiry call for it."""
    now = now or dt.datetime.now(dt.timezone.utc)
    key = load_or_create_key(directory)
    all_names = list(dict.fromkeys([*names, "localhost"]))
    all_addresses = list(dict.fromkeys([*addresses, ipaddress.ip_address("127.0.0.1")]))
    cert_path = directory / CERT_FILE
    reissue = True
    if cert_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        dns, ips = _sans(cert)
        reissue = (
            dns != set(all_names)
            or ips != {str(a) for a in all_addresses}
            or cert.not_valid_after_utc - now < RENEW_BEFORE
            or spki_pin(cert.public_key()) != spki_pin(key.public_key())  # type: ignore[arg-type]
        )
    if reissue:
        cert = _issue(key, all_names, all_addresses, now)
        _write_private(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return TlsIdentity(
        key_path=directory / KEY_FILE, cert_path=cert_path, pin=spki_pin(key.public_key()),
        names=tuple(all_names), addresses=tuple(str(a) for a in all_addresses),
        not_after=cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ"), reissued=reissue,
    )

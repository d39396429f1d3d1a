"""The hub's own TLS key and certificate.

The key is made once and kept: tills pin its public key (SPKI SHA-256), not the certificate. The
certificate names the hostname, `<hostname>.local`, localhost and the current addresses, and is
re-issued with the same key when an address changes or expiry nears, so a pinned till never
notices.

What the last check found (names, addresses, expiry, pin) is kept beside the two files with
their digests, so a start whose key, certificate and addresses are unchanged decides that by
reading three small files, without loading `cryptography` (which alone costs the hub's start
more than all the rest of its TLS set-up).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

CERT_LIFETIME = dt.timedelta(days=825)
RENEW_BEFORE = dt.timedelta(days=30)
KEY_FILE = "hub-key.pem"
CERT_FILE = "hub-cert.pem"
CHECKED_FILE = "hub-cert-checked.json"  # what the last full check found, with both files' digests
NOT_AFTER_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

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
    from cryptography.hazmat.primitives import serialization

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
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

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
    from cryptography import x509

    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set(), set()
    return (set(ext.get_values_for_type(x509.DNSName)),
            {str(a) for a in ext.get_values_for_type(x509.IPAddress)})


def _issue(key: ec.EllipticCurvePrivateKey, names: Sequence[str], addresses: Sequence[Address],
           now: dt.datetime) -> x509.Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

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
    all_names = list(dict.fromkeys([*names, "localhost"]))
    all_addresses = list(dict.fromkeys([*addresses, ipaddress.ip_address("127.0.0.1")]))
    known = _checked_before(directory, all_names, [str(a) for a in all_addresses], now)
    if known is not None:
        return known
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key = load_or_create_key(directory)
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
    identity = TlsIdentity(
        key_path=directory / KEY_FILE, cert_path=cert_path, pin=spki_pin(key.public_key()),
        names=tuple(all_names), addresses=tuple(str(a) for a in all_addresses),
        not_after=cert.not_valid_after_utc.strftime(NOT_AFTER_FORMAT), reissued=reissue,
    )
    _record_check(directory, identity)
    return identity


def _digests(directory: Path) -> dict[str, str]:
    return {name: hashlib.sha256((directory / name).read_bytes()).hexdigest()
            for name in (KEY_FILE, CERT_FILE)}


def _record_check(directory: Path, identity: TlsIdentity) -> None:
    found = {k: v for k, v in asdict(identity).items() if k in ("pin", "names", "addresses", "not_after")}
    _write_private(directory / CHECKED_FILE, json.dumps({**found, "files": _digests(directory)}).encode())


def _checked_before(directory: Path, names: list[str], addresses: list[str],
                    now: dt.datetime) -> TlsIdentity | None:
    """The identity the last full check found, if the key and certificate are the very files it
    checked and the names, addresses and expiry still call for nothing; otherwise None."""
    try:
        checked = json.loads((directory / CHECKED_FILE).read_bytes())
        if checked["files"] != _digests(directory):
            return None
        not_after = dt.datetime.strptime(checked["not_after"], NOT_AFTER_FORMAT)
        not_after = not_after.replace(tzinfo=dt.timezone.utc)
        pin = checked["pin"]
        known = set(checked["names"]), set(checked["addresses"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if known != (set(names), set(addresses)) or not_after - now < RENEW_BEFORE:
        return None
    return TlsIdentity(key_path=directory / KEY_FILE, cert_path=directory / CERT_FILE, pin=pin,
                       names=tuple(names), addresses=tuple(addresses), not_after=checked["not_after"],
                       reissued=False)

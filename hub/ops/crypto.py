"""Backup encryption: a recovery key shown once, and files sealed to its public half.

The recovery key is 20 random bytes written as 8 groups of 4 base32 characters. From it comes an
X25519 key pair (HKDF-SHA256); the hub keeps only the public key, so it can seal every scheduled
backup without holding anything that opens one. A sealed file is

    MAGIC | key id (8) | ephemeral X25519 public key (32) | nonce prefix (7) | chunks

where each chunk is its 4-byte big-endian length and AES-256-GCM ciphertext of up to CHUNK bytes,
sealed with nonce = prefix | counter (4, big-endian) | last flag (1) and the header as associated
data (the STREAM construction: chunks cannot be reordered, dropped or cut off at the end). The
AES key is HKDF-SHA256 over the X25519 shared secret, salted with both public keys.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from pathlib import Path
from typing import BinaryIO, Callable

MAGIC = b"SOKOBAK1"
CHUNK = 1 << 20
KEY_BYTES = 20
INFO_KEYPAIR = b"soko-hub recovery key x25519 v1"
INFO_FILE = b"soko-hub backup file aes-256-gcm v1"


class RecoveryKeyError(ValueError):
    """The recovery key is malformed or does not open this file."""


def new_recovery_key() -> str:
    text = base64.b32encode(os.urandom(KEY_BYTES)).decode()
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def _key_bytes(recovery_key: str) -> bytes:
    text = "".join(recovery_key.split()).replace("-", "").upper()
    try:
        raw = base64.b32decode(text)
    except (ValueError, TypeError) as err:
        raise RecoveryKeyError("a recovery key is 8 groups of 4 letters and digits (A-Z, 2-7)") from err
    if len(raw) != KEY_BYTES:
        raise RecoveryKeyError("a recovery key is 8 groups of 4 letters and digits (A-Z, 2-7)")
    return raw


def _hkdf(secret: bytes, salt: bytes, info: bytes):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(secret)


def private_key(recovery_key: str):
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    return X25519PrivateKey.from_private_bytes(_hkdf(_key_bytes(recovery_key), b"", INFO_KEYPAIR))


def _raw_public(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(recovery_key: str) -> str:
    return base64.b64encode(_raw_public(private_key(recovery_key).public_key())).decode()


def key_id(public_b64: str) -> str:
    """16 hex digits naming a recipient key (printed on the recovery kit and each backup)."""
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


def seal(source: Path, target: BinaryIO, public_b64: str, progress: Callable[[int], None] | None = None) -> None:
    """Write `source` sealed to the recipient `public_b64` into `target`."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    recipient = base64.b64decode(public_b64)
    ephemeral = X25519PrivateKey.generate()
    eph_pub = _raw_public(ephemeral.public_key())
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient))
    aes = AESGCM(_hkdf(shared, eph_pub + recipient, INFO_FILE))
    prefix = os.urandom(7)
    header = MAGIC + bytes.fromhex(key_id(public_b64)) + eph_pub + prefix
    target.write(header)
    counter = 0
    with open(source, "rb") as src:
        chunk = src.read(CHUNK)
        while True:
            following = src.read(CHUNK)
            sealed = aes.encrypt(_nonce(prefix, counter, not following), chunk, header)
            target.write(struct.pack(">I", len(sealed)) + sealed)
            if progress:
                progress(len(chunk))
            if not following:
                break
            chunk, counter = following, counter + 1


def header_key_id(source: Path) -> str:
    with open(source, "rb") as src:
        head = src.read(len(MAGIC) + 8)
    if not head.startswith(MAGIC) or len(head) < len(MAGIC) + 8:
        raise RecoveryKeyError(f"{Path(source).name} is not a sealed Soko Hub backup")
    return head[len(MAGIC):].hex()


def unseal(source: Path, target: BinaryIO, recovery_key: str) -> None:
    """Write the plain content of the sealed file `source` into `target`; RecoveryKeyError when
    the key is not this file's or the file was altered or cut short."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = private_key(recovery_key)
    recipient = _raw_public(key.public_key())
    want = header_key_id(source)
    if want != key_id(base64.b64encode(recipient).decode()):
        raise RecoveryKeyError(f"this backup was sealed to recovery key {want}, not to the one given")
    with open(source, "rb") as src:
        header = src.read(len(MAGIC) + 8 + 32 + 7)
        eph_pub, prefix = header[len(MAGIC) + 8:len(MAGIC) + 40], header[len(MAGIC) + 40:]
        aes = AESGCM(_hkdf(key.exchange(X25519PublicKey.from_public_bytes(eph_pub)), eph_pub + recipient,
                           INFO_FILE))
        counter = 0
        while True:
            size = src.read(4)
            if len(size) != 4:
                raise RecoveryKeyError("the sealed backup is cut short")
            sealed = src.read(struct.unpack(">I", size)[0])
            last = src.peek(1)[:1] == b"" if hasattr(src, "peek") else False
            try:
                target.write(aes.decrypt(_nonce(prefix, counter, last), sealed, header))
            except InvalidTag as err:
                raise RecoveryKeyError("the sealed backup was altered or cut short") from err
            if last:
                return
            counter += 1

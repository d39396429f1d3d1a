"""HTTPS to the hub with its public key pinned (DESIGN.md section 5, "Security").

The hub makes its own TLS key and a self-signed certificate that is re-issued (same key) when its
addresses change, so a till trusts the key, not the certificate: the SHA-256 of the certificate's
SubjectPublicKeyInfo, base64 (RFC 7469's pin-sha256), learnt at pairing. The check runs right
after the TLS handshake and before a byte of the request is sent, so a device token never goes
to a host holding another key.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
from typing import Any

import httpcore
import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization


def spki_pin_of_certificate(der: bytes) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)) of a DER certificate."""
    key = x509.load_der_x509_certificate(der).public_key()
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


class _PinnedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, backend: "_PinningBackend") -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, timeout)
        der = tls.get_extra_info("ssl_object").getpeercert(True)
        seen = spki_pin_of_certificate(der)
        self._backend.seen = seen
        if self._backend.pin is not None and seen != self._backend.pin:
            self._backend.mismatch = seen
            tls.close()
            raise httpcore.ConnectError(f"the hub's TLS key is not the pinned one (pinned {self._backend.pin}, "
                                        f"got {seen})")
        return _PinnedStream(tls, self._backend)


class _PinningBackend(httpcore.SyncBackend):
    def __init__(self, pin: str | None) -> None:
        self.pin = pin
        self.seen: str | None = None  # the key pin of the last TLS connection
        self.mismatch: str | None = None  # the last key refused

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None, socket_options: Any = None) -> httpcore.NetworkStream:
        return _PinnedStream(super().connect_tcp(host, port, timeout, local_address, socket_options), self)


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport whose TLS connections must present the key `pin` (None: any key, its pin
    recorded in `seen`, for the first contact at pairing)."""

    def __init__(self, pin: str | None) -> None:
        context = ssl.create_default_context()
        context.check_hostname = False  # the certificate is the hub's own; the key is what we trust
        context.verify_mode = ssl.CERT_NONE
        super().__init__(verify=context)
        self.backend = _PinningBackend(pin)
        # httpx builds its pool without a way to pass a network backend; this is the same pool
        # with ours (httpx.HTTPTransport.__init__ in 0.28).
        self._pool = httpcore.ConnectionPool(ssl_context=context, network_backend=self.backend,
                                             max_connections=10, max_keepalive_connections=4,
                                             keepalive_expiry=5.0)

    @property
    def seen(self) -> str | None:
        return self.backend.seen

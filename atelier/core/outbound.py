"""The one way Atelier's server reaches another server over HTTP: a guarded client.

Whatever asks for a URL (an admin-configured detector today, anything tomorrow), the address is
checked after DNS resolution and the connection goes to the very address that was checked, so a
name that resolves to a public address once and to 127.0.0.1 the next time (DNS rebinding) cannot
slip through. Refused: loopback, private, link-local, shared (CGNAT), multicast, reserved and
unspecified addresses, and the cloud metadata endpoints, always; other non-public networks only when
the admin lists them in OUTBOUND_ALLOWED_NETWORKS (an internal proxy in front of a detector, say).
Redirects are not followed; timeouts are short and the answer's size is capped.

The C2PA SDK's own fetches (remote manifests, OCSP; c2pa-rs settings `verify.remote_manifest_fetch`,
`verify.ocsp_fetch`, `core.allowed_network_hosts`) are off: `C2PA_OFFLINE_SETTINGS` is what every
c2pa Reader and Builder context starts from, so uploaded content never drives a request.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

from django.conf import settings

# Remote manifests and OCSP off, and (a second lock on the same door) no host on the SDK's allow-list.
C2PA_OFFLINE_SETTINGS = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    "core": {"allowed_network_hosts": []},
}

# Refused even when an admin allows the network around them: they hand out cloud credentials.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192", "fd00:ec2::254")
)
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 1024 * 1024
_CHUNK = 64 * 1024


class OutboundError(Exception):
    """The request did not get an answer: refused here, timed out, or the connection failed. The
    message is short and says which, never more (it may end up where people read it)."""


class OutboundRefused(OutboundError):
    """The URL or the address it resolves to is not one Atelier may reach."""


class OutboundTimeout(OutboundError):
    pass


class OutboundTooLarge(OutboundError):
    pass


@dataclass(frozen=True)
class OutboundResponse:
    status: int
    headers: Message
    body: bytes


def _allowed_networks() -> list:
    return [ipaddress.ip_network(network, strict=False) for network in settings.OUTBOUND_ALLOWED_NETWORKS]


def address_refusal(address: str) -> str | None:
    """Why this IP address may not be reached, or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None) or getattr(ip, "sixtofour", None)
    if mapped is not None:
        ip = mapped
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_multicast or ip.is_unspecified:
        return "not a unicast address"
    if ip.is_global:
        return None
    if any(ip in network for network in _allowed_networks()):
        return None
    return "not a public address"


def _resolve(host: str, port: int) -> str:
    """The first address `host` resolves to; every address it resolves to is
    checked, so a name that mixes a public and a private address is refused as a whole."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise OutboundError("the host name does not resolve") from None
    if not answers:
        raise OutboundError("the host name does not resolve")
    for _family, _type, _proto, _name, sockaddr in answers:
        reason = address_refusal(sockaddr[0])
        if reason:
            raise OutboundRefused(f"refused: the host resolves to {reason}")
    return answers[0][4][0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to now."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.pinned_address = address

    def connect(self):
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same, with TLS: the certificate is checked against the host name, not the address."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.pinned_address = address

    def connect(self):
        raw = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: dict | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> OutboundResponse:
    """Send one HTTP(S) request and return the answer, whatever its status (3xx is not followed).

    Raises OutboundRefused for a URL or address that may not be reached, OutboundTimeout when the
    whole exchange takes longer than `timeout` seconds, OutboundTooLarge when the answer is over
    `max_bytes`, and OutboundError when the connection fails."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise OutboundRefused("refused: only http(s) URLs with a host are fetched")
    if parts.username or parts.password:
        raise OutboundRefused("refused: URLs with credentials are not fetched")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused("refused: the port is not a number") from None
    deadline = time.monotonic() + timeout
    address = _resolve(parts.hostname, port)
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = kind(parts.hostname, port, address=address, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, target, body=body, headers=headers or {})
        answer = connection.getresponse()
        received = bytearray()
        while chunk := answer.read(_CHUNK):
            received += chunk
            if len(received) > max_bytes:
                raise OutboundTooLarge(f"the answer is larger than {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise OutboundTimeout("timed out")
        return OutboundResponse(status=answer.status, headers=answer.headers, body=bytes(received))
    except TimeoutError:
        raise OutboundTimeout("timed out") from None
    except ssl.SSLError:
        raise OutboundError("the TLS handshake failed") from None
    except ConnectionRefusedError:
        raise OutboundError("the connection was refused") from None
    except (ConnectionError, http.client.HTTPException, OSError):
        raise OutboundError("the connection failed") from None
    finally:
        connection.close()

"""The guarded outbound HTTP client: addresses inside the network are refused after DNS resolution,
the connection goes to the address that was checked (DNS rebinding cannot swap it), and the answer
is bounded in time and size. Real servers on loopback stand for the internal and public hosts."""

import datetime
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from atelier.core import outbound

pytestmark = pytest.mark.backend_free  # neither database nor cache: runs once (tests/conftest.py)


class Recorder:
    """An HTTP server on `host` that records request paths and answers with `body` after `delay`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, body: bytes = b"ok", delay: float = 0.0, tls=None):
        self.paths: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                recorder.paths.append(self.path)
                time.sleep(delay)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.close()


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "127.8.9.10", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "169.254.1.1",
        "100.64.0.1", "100.100.100.200", "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1",  # noqa: S104
        "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1", "::ffff:127.0.0.1",
        "::ffff:169.254.169.254", "2002:7f00:1::",
    ],
)  # fmt: skip
def test_addresses_inside_the_network_are_refused(address):
    assert outbound.address_refusal(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_may_be_reached(address):
    assert outbound.address_refusal(address) is None


def test_metadata_addresses_stay_refused_when_their_network_is_allowed(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["169.254.0.0/16", "100.64.0.0/10"]
    assert outbound.address_refusal("169.254.10.10") is None
    assert outbound.address_refusal("169.254.169.254") == "a cloud metadata address"
    assert outbound.address_refusal("100.100.100.200") == "a cloud metadata address"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/", "http://localhost:{port}/", "http://[::ffff:127.0.0.1]:{port}/",
        "http://2130706433:{port}/", "http://0x7f.1:{port}/", "http://127.1:{port}/",
    ],
)  # fmt: skip
def test_a_loopback_server_gets_no_request_whatever_the_spelling(recorder, url):
    with pytest.raises(outbound.OutboundRefused):
        outbound.request("GET", url.format(port=recorder.port), timeout=1)
    assert recorder.paths == []


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1/", "ftp://example.com/", "http:///nohost", "http://u:p@x.test/"]
)
def test_other_schemes_and_credentials_in_urls_are_refused(url):
    with pytest.raises(outbound.OutboundRefused):
        outbound.request("GET", url, timeout=1)


def test_an_allowed_network_is_reached_and_the_answer_returned(recorder, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    answer = outbound.request("GET", f"http://127.0.0.1:{recorder.port}/hello?x=1", timeout=2)
    assert answer.status == 200 and answer.body == b"ok" and recorder.paths == ["/hello?x=1"]


def test_dns_rebinding_cannot_swap_the_checked_address(settings, monkeypatch):
    """The name resolves to an allowed address when checked and to a forbidden one afterwards: the
    request still goes to the first, because the client connects to the address it checked."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    allowed = Recorder("127.0.0.2")
    try:
        forbidden = Recorder("127.0.0.1", allowed.port)
    except OSError:
        allowed.close()
        pytest.skip("the same port is taken on 127.0.0.1")
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.2", "127.0.0.1", "127.0.0.1"])

    def rebinding_dns(host, port, *args, **kwargs):
        if host == "rebind.test":  # a stand-in DNS server: only what we cannot run here is replaced
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (next(answers), port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
    try:
        answer = outbound.request("GET", f"http://rebind.test:{allowed.port}/", timeout=2)
        assert answer.status == 200
        assert allowed.paths == ["/"] and forbidden.paths == []
    finally:
        allowed.close()
        forbidden.close()


def test_a_name_with_any_forbidden_address_is_refused(monkeypatch, recorder):
    real_getaddrinfo = socket.getaddrinfo

    def mixed_dns(host, port, *args, **kwargs):
        if host == "mixed.test":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("93.184.215.14", port)),
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port)),
            ]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", mixed_dns)
    with pytest.raises(outbound.OutboundRefused):
        outbound.request("GET", f"http://mixed.test:{recorder.port}/", timeout=1)
    assert recorder.paths == []


def test_a_slow_answer_times_out_and_a_large_one_is_cut(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    slow, large = Recorder(delay=2.0), Recorder(body=b"x" * 300_000)
    try:
        started = time.monotonic()
        with pytest.raises(outbound.OutboundTimeout):
            outbound.request("GET", f"http://127.0.0.1:{slow.port}/", timeout=0.3)
        assert time.monotonic() - started < 1.5
        with pytest.raises(outbound.OutboundTooLarge):
            outbound.request("GET", f"http://127.0.0.1:{large.port}/", timeout=2, max_bytes=100_000)
    finally:
        slow.close()
        large.close()


def test_nothing_listening_is_a_short_error_without_details(settings, recorder):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    port = recorder.port
    recorder.close()
    with pytest.raises(outbound.OutboundError) as caught:
        outbound.request("GET", f"http://127.0.0.1:{port}/", timeout=1)
    assert str(caught.value) == "the connection was refused"


def _self_signed(tmp_path, host: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_https_to_the_pinned_address_still_checks_the_certificate(settings, tmp_path, monkeypatch):
    """Connecting to the checked address must not skip TLS verification: a certificate no trusted CA
    signed is refused, and nothing is sent over the connection."""
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    cert_path, key_path = _self_signed(tmp_path, "detector.test")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_path, key_path)
    server = Recorder(tls=tls)
    # The stand-in really speaks TLS: a client that trusts its certificate gets an answer.
    trusting = ssl.create_default_context(cafile=str(cert_path))
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=2)
    with trusting.wrap_socket(raw, server_hostname="detector.test") as conn:
        conn.sendall(b"GET /control HTTP/1.0\r\nHost: detector.test\r\n\r\n")
        assert conn.recv(64).startswith(b"HTTP/1.0 200")
    real_getaddrinfo = socket.getaddrinfo

    def local_dns(host, port, *args, **kwargs):
        if host == "detector.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_dns)
    try:
        with pytest.raises(outbound.OutboundError) as caught:
            outbound.request("GET", f"https://detector.test:{server.port}/secret", timeout=2)
        assert str(caught.value) == "the TLS handshake failed"
        assert server.paths == ["/control"]
    finally:
        server.close()

"""A loopback HTTPS server for platform fakes: a self-signed cert for 127.0.0.1, port 0,
a thread per connection, and a fault queue the tests fill.

The real clients (google-api-python-client over httplib2, requests) talk to it over TLS
exactly as to the platforms; they trust it through `publishing.ca_bundle`.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import struct
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate valid for 127.0.0.1 and localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "monolathe test fake")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        # What strict verifiers (urllib3 2, Python 3.13) ask of a self-signed server cert.
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False),
                       critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fake-cert.pem", folder / "fake-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Fault:
    """Applied to the next request of `kind`, `times` times.

    action: an HTTP status to answer with (with `reason`, `retry_after`), or "reset"
    (close the connection without an answer), or "commit-then-reset" (do the work, then
    close without an answer: the platform succeeded, the client never heard).
    """

    kind: str
    action: int | str
    reason: str = ""
    retry_after: int | None = None
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)


class Reset(Exception):
    """Raised by a handler to drop the connection without an answer."""


class FakeServer:
    def __init__(self, cert: tuple[Path, Path]) -> None:
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) as received
        self.lock = threading.RLock()
        handler = self._handler_class()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert[0]), str(cert[1]))
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fault(self, kind: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.kind == kind:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def count(self, method: str, path_prefix: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(path_prefix))

    # --- to implement by each fake ---

    def handle(self, req: Request) -> Response:
        raise NotImplementedError

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet tests
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                url = urlparse(self.path)
                request = Request(self.command, url.path, parse_qs(url.query), self.headers,
                                  self.rfile, length)
                with fake.lock:
                    fake.requests.append((self.command, url.path))
                try:
                    response = fake.handle(request)
                except Reset:
                    # Close with SO_LINGER 0: the kernel sends RST, as a dying peer does,
                    # and a client still writing its chunk fails at once.
                    self.close_connection = True
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.rfile.close()
                    self.connection.close()
                    return
                request.drain()
                body = response.body
                if not isinstance(body, bytes):
                    body = json.dumps(body).encode()
                self.send_response(response.status)
                for key, value in response.headers.items():
                    self.send_header(key, value)
                if response.body != b"":
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if response.cut_at is not None:  # a download cut halfway: part, then gone
                    self.wfile.write(body[:response.cut_at])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        return Handler


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    stream: Any
    length: int
    _body: bytes | None = None

    def arg(self, name: str, default: str = "") -> str:
        return self.query.get(name, [default])[0]

    def read(self, limit: int | None = None) -> bytes:
        """The body, or its first `limit` bytes (the rest stays unread, as in a cut upload)."""
        if self._body is None:
            self._body = self.stream.read(self.length if limit is None else min(limit,
                                                                              self.length))
        return self._body

    def drain(self) -> None:
        if self._body is None:
            self.read()

    def form(self) -> dict[str, str]:
        body = self.read().decode()
        merged = {k: v[0] for k, v in parse_qs(body).items()}
        merged.update({k: v[0] for k, v in self.query.items()})
        return merged

    def bearer(self) -> str:
        auth = self.headers.get("Authorization", "")
        return auth.split(" ", 1)[1] if " " in auth else ""


@dataclass
class Response:
    status: int
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut_at: int | None = None  # send only this many bytes of the body, then close

"""A local push service for the tests: a real HTTP server on 127.0.0.1 that records what the
sender posts and answers with scripted statuses, a browser-side key pair to decrypt with
`http_ece`, a VAPID JWT checker, a scripted DNS, a TCP port that counts who reached it and
an https server that records the TLS server name."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import NameOID


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Received:
    """One POST the push service got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """The push service. `script` holds (status, headers) answers, then 201 for ever."""

    script: deque = field(default_factory=deque)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def endpoint(self, name: str = "sub") -> str:
        return f"{self.origin}/push/{name}"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                if receiver.delay:
                    time.sleep(receiver.delay)
                status, headers = receiver.script.popleft() if receiver.script else (201, {})
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class BrowserKeys:
    """What a browser keeps for one subscription: its P-256 key pair and the auth secret."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)

    def subscription_json(self, endpoint: str, device_id: str = "tablet-0001") -> dict[str, Any]:
        """The body push.js posts (PushSubscription.toJSON() plus the device id)."""
        return {
            "endpoint": endpoint,
            "keys": {"p256dh": self.p256dh, "auth": self.auth},
            "device_id": device_id,
        }

    def decrypt(self, body: bytes) -> dict[str, Any]:
        """Decrypt as the browser does (RFC 8291, aes128gcm) and parse the JSON."""
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm"
        )
        return json.loads(plain)


def verify_vapid(authorization: str) -> tuple[dict[str, Any], str]:
    """Check `vapid t=<JWT>, k=<key>` (RFC 8292): the ES256 signature by k. Returns the
    claims and k; raises InvalidSignature (or AssertionError) when it does not hold."""
    assert authorization.startswith("vapid "), authorization
    parts = dict(item.strip().split("=", 1) for item in authorization[len("vapid ") :].split(","))
    token, key = parts["t"], parts["k"]
    header_b64, claims_b64, signature_b64 = token.split(".")
    header = json.loads(unb64url(header_b64))
    assert header["alg"] == "ES256"
    raw = unb64url(signature_b64)
    assert len(raw) == 64
    signature = encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(unb64url(claims_b64)), key


@dataclass
class FakeDns:
    """`socket.getaddrinfo` for the names a test chooses: IP literals go to the real
    resolver, a known name gets its scripted answers (the first list on the first look-up,
    the next on the next, the last one for ever), any other name does not resolve. Every
    name looked up is recorded in `asked`."""

    real: Any
    scripts: dict[str, deque] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def answer(self, name: str, *answers: list[str]) -> None:
        self.scripts[name.lower()] = deque(answers)

    def __call__(
        self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0
    ) -> list[tuple]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name.split("%")[0])
        except ValueError:
            pass
        else:
            return self.real(host, port, family, type, proto, flags)
        self.asked.append(name)
        script = self.scripts.get(name.lower())
        if not script:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = script.popleft() if len(script) > 1 else script[0]
        number = int(port or 0)
        results = []
        for text in addresses:  # every family: the code under test must cope with both
            if ipaddress.ip_address(text).version == 6:
                results.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (text, number, 0, 0)))
            else:
                results.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (text, number)))
        if not results:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return results


class Listener:
    """A TCP port nobody should reach: connections land in the backlog, `connections()`
    takes them out and counts them (no thread, no timing)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((host, port))
        self.sock.listen(16)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def connections(self) -> int:
        count = 0
        while True:
            try:
                conn, _addr = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1

    def close(self) -> None:
        self.sock.close()


class TlsServer:
    """An https server on 127.0.0.1 with a self-signed certificate for `name` only (not for
    the address): records the SNI name of every handshake and the Host of every POST."""

    def __init__(self, name: str, directory: Any) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        start = datetime.now(UTC) - timedelta(days=1)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        self.ca_file = str(directory / "push-ca.pem")
        key_file = str(directory / "push-key.pem")
        with open(self.ca_file, "wb") as out:
            out.write(certificate.public_bytes(serialization.Encoding.PEM))
        with open(key_file, "wb") as out:
            out.write(
                key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        self.sni: list[str | None] = []
        self.hosts: list[str] = []
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.ca_file, key_file)
        context.sni_callback = lambda _sock, server_name, _ctx: self.sni.append(server_name)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.hosts.append(self.headers.get("Host", ""))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

"""A local push service for the tests: a real HTTP server on 127.0.0.1 that records what the
sender posts and answers with scripted statuses, a browser-side key pair to decrypt with
`http_ece`, and a VAPID JWT checker."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


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

"""VAPID keys: generated once into the instance folder, the private key file made with 0600."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from py_vapid import Vapid


def private_key_path() -> Path:
    """VAPID_PRIVATE_KEY_FILE, else instance/vapid_private.pem."""
    configured = current_app.config.get("VAPID_PRIVATE_KEY_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "vapid_private.pem"


def _public_b64(key: ec.EllipticCurvePrivateKey) -> str:
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def init_keys() -> tuple[str, bool]:
    """Create the key pair unless it exists; return (public key, created). Idempotent.

    The file is created exclusively (O_EXCL) with mode 0600, so two workers starting at once
    cannot both write it, and nobody else on the machine can read it.
    """
    path = private_key_path()
    if path.exists():
        return public_key(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return public_key(), False
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    current_app.extensions.pop("push_vapid", None)
    return _public_b64(key), True


def load_vapid() -> Vapid | None:
    """The signing key (cached per app and file change time), or None when not initialised."""
    path = private_key_path()
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    cached = current_app.extensions.get("push_vapid")
    if cached and cached[0] == (str(path), mtime):
        return cached[1]
    vapid = Vapid.from_file(str(path))
    current_app.extensions["push_vapid"] = ((str(path), mtime), vapid)
    return vapid


def public_key() -> str | None:
    """The applicationServerKey for the browser (base64url, uncompressed P-256), or None.

    Every page's navigation carries it: encoded once per loaded key, not per request."""
    vapid = load_vapid()
    if vapid is None:
        return None
    cached = current_app.extensions.get("push_public_key")
    if cached is None or cached[0] is not vapid:
        cached = current_app.extensions["push_public_key"] = (vapid, _public_b64(vapid.private_key))
    return cached[1]

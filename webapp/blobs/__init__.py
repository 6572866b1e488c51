"""The blob store: content-addressed images, re-encoded and encrypted at rest; licence copies
watermarked as they are viewed.

Used by the outbox's uploads (licence copies, signatures), route maps, display-car photos
and privacy (withdrawal, purge).

A blob is addressed by the SHA-256 of the bytes the device sent. The server checks those
bytes (hash, size, magic bytes, pixel count), re-encodes them with Pillow (EXIF and anything
appended to the image are dropped; long edge ≤ BLOB_LONG_EDGE), encrypts the result with
AES-GCM and writes `BLOB_DIR/ab/cd/<sha256>` atomically (temp file and `os.replace`) *before*
the database row commits. A licence copy is stamped when a person views it (`viewed_copy`):
purpose, store, viewer and time, so a leaked copy names its source. The key lives in
`BLOB_KEY` or in `instance/blob.key` (0600), never in the database; the row records only the
key's id.

File layout: b"SRB1" + key id (8 ASCII bytes) + nonce (12) + AES-GCM ciphertext, with the
sha256 as associated data (a file moved to another address does not decrypt).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import io
import os
import secrets
import tempfile
import threading
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps

from webapp.blobs.models import Blob
from webapp.extensions import db
from webapp.timeutil import SHANGHAI, local_today, now

MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}
PIL_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
SENSITIVE_PURPOSES = frozenset({"licence", "signature"})
PURPOSES = frozenset({"licence", "signature", "route_map", "photo"})
FILE_MAGIC = b"SRB1"
_key_lock = threading.Lock()


class BlobError(Exception):
    """An upload the store refuses: `status` is the HTTP status, `code` a stable word for
    the client, `message` a translated sentence for the person."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class BlobMissing(Exception):
    """No such blob (row or file): it was never whole, or it was purged."""


class BlobRefused(Exception):
    """A record may not reference this blob: another store's, another purpose's, another
    person's sensitive upload, or a sensitive blob that already belongs to a record."""


# --- the key ------------------------------------------------------------------------------


def _blob_dir() -> Path:
    configured = current_app.config.get("BLOB_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "blobs"


def _load_key() -> bytes:
    """The 32-byte key: BLOB_KEY, else instance/blob.key, created with 0600 on first use."""
    configured = current_app.config.get("BLOB_KEY")
    if configured:
        key = base64.urlsafe_b64decode(configured)
    else:
        path = Path(current_app.instance_path) / "blob.key"
        with _key_lock:
            if not path.exists():
                _make_key_file(path)
            key = base64.urlsafe_b64decode(path.read_bytes().strip())
    if len(key) != 32:
        raise RuntimeError("The blob key must be 32 bytes (base64).")
    return key


def _make_key_file(path: Path) -> None:
    """Write a new key to `path` (0600) unless another process got there first. The key is
    written whole to a temporary file that is then linked into place: a worker that reads
    the key while another makes it finds the whole key or no file, never an empty one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            os.link(tmp_name, path)
    finally:
        os.unlink(tmp_name)


def key_id(key: bytes | None = None) -> str:
    """A short public id of the key (to find the right key after a rotation)."""
    return hashlib.sha256(key or _load_key()).hexdigest()[:8]


def encrypt_bytes(plain: bytes, aad: bytes) -> bytes:
    """AES-GCM under the blob key with a random nonce: key id + nonce + ciphertext."""
    key = _load_key()
    nonce = secrets.token_bytes(12)
    return key_id(key).encode() + nonce + AESGCM(key).encrypt(nonce, plain, aad)


def decrypt_bytes(sealed: bytes, aad: bytes) -> bytes:
    """Inverse of encrypt_bytes; raises cryptography's InvalidTag on tampering."""
    key = _load_key()
    if sealed[:8].decode() != key_id(key):
        raise RuntimeError(f"Sealed with another key (key id {sealed[:8].decode()}).")
    return AESGCM(key).decrypt(sealed[8:20], sealed[20:], aad)


def encrypt_text(value: str, purpose: str = "id_number") -> bytes:
    """Encrypt a short secret (an ID number) for a database column."""
    return encrypt_bytes(value.encode(), purpose.encode())


def decrypt_text(sealed: bytes, purpose: str = "id_number") -> str:
    """Decrypt what encrypt_text sealed."""
    return decrypt_bytes(bytes(sealed), purpose.encode()).decode()


# --- images -------------------------------------------------------------------------------


def _sniff(data: bytes) -> str | None:
    for mime, prefixes in MAGIC.items():
        if any(data.startswith(p) for p in prefixes):
            return mime
    return None


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip().lower()
    return head.startswith(b"<") or b"<svg" in head


def _font(size: int) -> Any:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType
        return ImageFont.load_default()


def _watermark(image: Image.Image, text: str) -> Image.Image:
    """Stamp `text` in the bottom-right corner on a translucent band."""
    base = image.convert("RGBA")
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    font = _font(max(12, base.width // 45))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = max(4, base.width // 200)
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    x, y = max(0, base.width - w - pad), max(0, base.height - h - pad)
    draw.rectangle((x, y, x + w, y + h), fill=(0, 0, 0, 120))
    draw.text((x + pad - left, y + pad - top), text, font=font, fill=(255, 255, 255, 220))
    return Image.alpha_composite(base, layer)


def _reencode(data: bytes, mime: str) -> tuple[bytes, int, int]:
    """Decode, check the pixel count, drop metadata, shrink and encode again."""
    cfg = current_app.config
    max_pixels = cfg["BLOB_MAX_PIXELS"]
    Image.MAX_IMAGE_PIXELS = max_pixels
    bomb = BlobError(
        422,
        "pixel_bomb",
        _("The image has too many pixels (more than %(n)d megapixels).", n=max_pixels // 10**6),
    )
    try:
        with warnings.catch_warnings():
            # Counted below against the same limit; the warning would only add noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data), formats=[PIL_FORMATS[mime]])
        with opened as image:
            if image.width * image.height > max_pixels:
                raise bomb
            long_edge = cfg["BLOB_LONG_EDGE"]
            if mime == "image/jpeg":
                # Decode at the smallest DCT scale that still covers the long edge: a
                # 12 MP photo decodes at 1/2 or 1/4 size, in a fraction of the time and memory.
                scale = long_edge / max(image.size)
                if scale < 1:
                    image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
            image.load()
            if mime == "image/jpeg":
                ImageOps.exif_transpose(image, in_place=True)  # a copy when not in place
            if max(image.size) > long_edge:
                image.thumbnail((long_edge, long_edge), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if mime == "image/jpeg":
                if image.mode != "RGB":  # convert() would copy an RGB image too
                    image = image.convert("RGB")
                image.save(out, "JPEG", quality=85, optimize=False)
            else:
                if image.mode not in ("RGB", "RGBA", "L", "LA"):
                    image = image.convert("RGBA")
                image.save(out, "PNG", compress_level=6)
            return out.getvalue(), image.width, image.height
    except Image.DecompressionBombError:
        raise bomb from None
    except BlobError:
        raise
    except (OSError, SyntaxError, ValueError, Image.UnidentifiedImageError):
        raise BlobError(
            422, "unreadable", _("The image is damaged or incomplete. Take it again.")
        ) from None


@contextlib.contextmanager
def decode_slot(user_id: int) -> Iterator[None]:
    """Hold one of the person's BLOB_DECODES_PER_USER decoding slots, or raise BlobError 429.

    Counted in the rate limiter's storage (Redis in production), so the limit holds across
    workers; the count expires after a minute, so a worker killed mid-decode frees its slot.
    Without a working storage the decode goes ahead: the limit is a guard, not a lock.
    """
    from webapp.extensions import limiter

    key = f"blob-decode/{user_id}"
    try:
        storage = limiter.storage
        count = storage.incr(key, 60)
    except Exception:  # the storage is down: decode without the guard
        yield
        return
    try:
        if count > current_app.config["BLOB_DECODES_PER_USER"]:
            raise BlobError(
                429,
                "busy",
                _("Another of your photos is being processed. The tablet sends this one again."),
            )
        yield
    finally:
        with contextlib.suppress(Exception):
            storage.incr(key, 60, amount=-1)


# --- files --------------------------------------------------------------------------------


def blob_path(sha256: str) -> Path:
    """Where a blob's encrypted file lives: BLOB_DIR/ab/cd/<sha256>."""
    return _blob_dir() / sha256[:2] / sha256[2:4] / sha256


def _write_atomically(path: Path, payload: bytes) -> None:
    """Temp file in the same folder, fsync, os.replace: the address is whole or absent.

    ENOSPC/EDQUOT become BlobError 507; no temp file is left behind.
    """
    tmp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise BlobError(
                507, "disk_full", _("The server's disk is full. The tablet keeps the photo.")
            ) from None
        raise
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def find_blob(sha256: str) -> Blob | None:
    """The blob row, or None."""
    if not _is_sha256(sha256):
        return None
    return db.session.get(Blob, sha256)


def store_blob(
    data: bytes,
    mime: str,
    purpose: str,
    store_id: int,
    actor: Any,
    expected_sha256: str | None = None,
) -> Blob:
    """Check, re-encode, encrypt and store an uploaded image (a licence copy is stamped when
    it is viewed: see viewed_copy).

    Idempotent: the same bytes again return the existing row (`blob.created` is False).
    Commits the row (the file is written first). Raises BlobError: 413 (too large),
    415 (SVG, not JPEG/PNG, or magic bytes contradicting `mime`), 422 (hash mismatch,
    unreadable, pixel bomb, unknown purpose), 507 (disk full).
    """
    cfg = current_app.config
    if len(data) > cfg["BLOB_MAX_BYTES"]:
        raise BlobError(
            413,
            "too_large",
            _("The file is too large (at most %(mb)d MB).", mb=cfg["BLOB_MAX_BYTES"] // 2**20),
        )
    sha256 = hashlib.sha256(data).hexdigest()
    if expected_sha256 is not None and sha256 != expected_sha256.lower():
        raise BlobError(
            422,
            "hash_mismatch",
            _("The upload is incomplete or damaged (its checksum does not match). Send it again."),
        )
    if purpose not in PURPOSES:
        raise BlobError(422, "purpose", _("Unknown purpose of the upload."))
    existing = db.session.get(Blob, sha256)
    if existing is not None:
        if not may_reuse(existing, store_id, purpose, actor.id):
            raise _held_elsewhere()
        existing.created = False  # type: ignore[attr-defined]
        return existing

    mime = (mime or "").split(";")[0].strip().lower()
    sniffed = _sniff(data)
    if sniffed is None or mime not in MAGIC:
        if _looks_like_svg(data) or mime == "image/svg+xml":
            raise BlobError(415, "svg", _("SVG images are not accepted. Send a JPEG or PNG."))
        raise BlobError(415, "type", _("Only JPEG and PNG images are accepted."))
    if sniffed != mime:
        raise BlobError(
            415, "type_mismatch", _("The file's content does not match its type. Send it again.")
        )

    with decode_slot(actor.id):
        encoded, width, height = _reencode(data, mime)
    sealed = FILE_MAGIC + encrypt_bytes(encoded, sha256.encode())
    _write_atomically(blob_path(sha256), sealed)

    sensitive = purpose in SENSITIVE_PURPOSES
    blob = Blob(
        sha256=sha256,
        store_id=store_id,
        purpose=purpose,
        sensitive=sensitive,
        mime=mime,
        size=len(data),
        stored_size=len(sealed),
        width=width,
        height=height,
        key_id=key_id(),
        uploaded_by_id=actor.id,
        # An upload never linked to its entry is purged like a linked one would be.
        purge_after=(
            local_today() + timedelta(days=cfg["LICENCE_RETENTION_DAYS"]) if sensitive else None
        ),
    )
    db.session.add(blob)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the same bytes uploaded twice at once: the first row stands
        blob = db.session.get(Blob, sha256)
        if blob is None:
            raise
        if not may_reuse(blob, store_id, purpose, actor.id):
            raise _held_elsewhere() from None
        blob.created = False  # type: ignore[attr-defined]
        return blob
    blob.created = True  # type: ignore[attr-defined]
    return blob


def may_reuse(blob: Blob, store_id: int, purpose: str, user_id: int) -> bool:
    """Whether an upload (or a record) may stand for this existing blob.

    A sensitive blob (licence copy, signature) only for its own store, purpose and uploader:
    a content hash is an identifier, not a secret, so knowing it must give nothing. A plain
    image (a route map, a display-car photo) for the same purpose anywhere: whoever uploads
    the same bytes holds them already, and two stores may well use one map file.
    """
    if blob.purpose != purpose:
        return False
    if not blob.sensitive:
        return True
    return blob.store_id == store_id and blob.uploaded_by_id == user_id


def _held_elsewhere() -> BlobError:
    return BlobError(
        409,
        "held_elsewhere",
        _("This exact image is already stored for another record. Take the photo again."),
    )


def claim_blob(sha256: str, *, store_id: int, purpose: str, user_id: int) -> Blob | None:
    """The blob a new record references, linked to that record in the caller's transaction.

    None when the server does not hold it (yet). Raises BlobRefused when the record may not
    reference it: the blob is another store's or another purpose's; a sensitive blob
    (licence copy, signature) was uploaded by someone else, or already belongs to a record
    (each sensitive blob has exactly one). The row is read FOR UPDATE on PostgreSQL, so two
    records racing for one blob cannot both link it; SQLite's batch holds the write lock.
    """
    if not _is_sha256(sha256):
        return None
    blob = db.session.scalar(
        sa.select(Blob)
        .where(Blob.sha256 == sha256)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if blob is None:
        return None
    if not may_reuse(blob, store_id, purpose, user_id):
        raise BlobRefused(sha256)
    if blob.sensitive:
        if blob.linked_at is not None:
            raise BlobRefused(sha256)
        blob.linked_at = now()
    return blob


def _store_code(store_id: int) -> str:
    from webapp.org.models import Store

    return db.session.scalar(sa.select(Store.code).where(Store.id == store_id)) or str(store_id)


def read_blob(sha256: str, store_id: int | None = None) -> tuple[bytes, str]:
    """The decrypted image bytes and their MIME type. Raises BlobMissing, also when
    `store_id` is given and the blob is another store's."""
    blob = find_blob(sha256)
    if blob is None or (store_id is not None and blob.store_id != store_id):
        raise BlobMissing(sha256)
    return _decrypted(blob), blob.mime


def _decrypted(blob: Blob) -> bytes:
    try:
        sealed = blob_path(blob.sha256).read_bytes()
    except FileNotFoundError:
        raise BlobMissing(blob.sha256) from None
    if not sealed.startswith(FILE_MAGIC):
        raise BlobMissing(blob.sha256)
    return decrypt_bytes(sealed[len(FILE_MAGIC) :], blob.sha256.encode())


def viewed_copy(sha256: str, store_id: int, viewer: Any) -> tuple[bytes, str]:
    """The image as a person sees it: a licence copy is stamped, as it leaves the store,
    with its purpose, the store, who is looking and when (Shanghai time), so a copy that
    leaks names its source. Other images come back as stored. Raises BlobMissing (as
    read_blob)."""
    blob = find_blob(sha256)
    if blob is None or blob.store_id != store_id:
        raise BlobMissing(sha256)
    plain = _decrypted(blob)
    if blob.purpose != "licence":
        return plain, blob.mime
    moment = now().astimezone(SHANGHAI)
    text = (
        f"licence copy - test drive only - {_store_code(store_id)} - "
        f"viewed by {viewer.username} {moment:%Y-%m-%d %H:%M}"
    )
    with Image.open(io.BytesIO(plain)) as image:
        image.load()
        stamped = _watermark(image, text)
        out = io.BytesIO()
        if blob.mime == "image/jpeg":
            stamped.convert("RGB").save(out, "JPEG", quality=85)
        else:
            stamped.save(out, "PNG")
    return out.getvalue(), blob.mime


def delete_blob(sha256: str) -> bool:
    """Delete the row (in the caller's transaction, flushed) and then the file.

    The caller commits. Returns whether anything existed.
    """
    blob = find_blob(sha256)
    if blob is not None:
        db.session.delete(blob)
        db.session.flush()
    path = blob_path(sha256) if _is_sha256(sha256) else None
    existed = blob is not None
    if path is not None and path.exists():
        path.unlink()
        existed = True
    return existed

"""PUT/HEAD /sync/blobs: checks of uploads, re-encoding, encryption at rest, atomic writes."""

from __future__ import annotations

import base64
import errno
import io
import threading

import pytest
import sqlalchemy as sa
from PIL import Image, ImageStat

from tests.sync import support as s
from webapp import blobs
from webapp.blobs.models import Blob
from webapp.extensions import db


@pytest.fixture
def sales(app, world):
    client = app.test_client()
    client.login("sales")
    return client


def blob_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Blob))


def test_first_upload_is_201_and_the_same_bytes_again_200(sales, blob_store):
    data = s.jpeg()
    first = s.put_blob(sales, data)
    assert first.status_code == 201 and first.get_json()["sha256"] == s.sha(data)
    again = s.put_blob(sales, data)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert blob_count() == 1
    assert sales.head(f"/sync/blobs/{s.sha(data)}").status_code == 200
    assert sales.head(f"/sync/blobs/{'0' * 64}").status_code == 404


def test_a_truncated_upload_or_a_wrong_hash_gets_422(sales, blob_store):
    data = s.jpeg()
    truncated = s.put_blob(sales, data[: len(data) // 2], digest=s.sha(data))
    assert truncated.status_code == 422 and truncated.get_json()["error"] == "hash_mismatch"
    assert truncated.get_json()["message"]
    wrong = s.put_blob(sales, data, digest="ab" * 32)
    assert wrong.status_code == 422
    assert blob_count() == 0
    assert not blob_store.exists() or [p for p in blob_store.rglob("*") if p.is_file()] == []


def test_wrong_magic_bytes_are_refused_with_415(sales):
    data = b"GIF89a" + b"\x00" * 200
    response = s.put_blob(sales, data, mime="image/jpeg")
    assert response.status_code == 415 and response.get_json()["error"] == "type"
    png_as_jpeg = s.put_blob(sales, s.png(), mime="image/jpeg")
    assert png_as_jpeg.status_code == 415 and png_as_jpeg.get_json()["error"] == "type_mismatch"
    assert blob_count() == 0


def test_svg_is_refused_with_415(sales):
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    for mime in ("image/svg+xml", "image/png"):
        response = s.put_blob(sales, svg, purpose="signature", mime=mime)
        assert response.status_code == 415 and response.get_json()["error"] == "svg"
        assert "SVG" in response.get_json()["message"]
    assert blob_count() == 0


def test_oversize_is_refused_with_413(sales):
    data = b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024 + 10)
    response = s.put_blob(sales, data)
    assert response.status_code == 413 and response.get_json()["error"] == "too_large"
    assert blob_count() == 0


def test_a_pixel_bomb_is_refused_with_422(sales):
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, "PNG")  # 48 megapixels in a few kilobytes
    data = out.getvalue()
    assert len(data) < 100_000
    response = s.put_blob(sales, data, purpose="signature", mime="image/png")
    assert response.status_code == 422 and response.get_json()["error"] == "pixel_bomb"
    assert "megapixels" in response.get_json()["message"] or response.get_json()["message"]
    assert blob_count() == 0


def test_a_damaged_image_is_refused_with_422(sales):
    data = s.jpeg()[:300]
    response = s.put_blob(sales, data)
    assert response.status_code == 422 and response.get_json()["error"] == "unreadable"


def test_stored_images_are_reencoded_without_exif_and_shrunk(app, sales, blob_store):
    big = Image.linear_gradient("L").resize((2600, 1950)).convert("RGB")
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    big.save(out, "JPEG", quality=70, exif=exif)
    data = out.getvalue() + b"<html><script>polyglot</script></html>"
    assert s.put_blob(sales, data).status_code == 201
    plain, mime = blobs.read_blob(s.sha(data))
    assert mime == "image/jpeg"
    image = Image.open(io.BytesIO(plain))
    assert max(image.size) == 1920
    assert not image.getexif() and b"SecretCam" not in plain and b"polyglot" not in plain


def test_a_licence_copy_is_stored_plain_and_stamped_for_each_viewer(app, world, sales):
    data = s.jpeg(800, 600)
    s.put_blob(sales, data)
    sha = s.sha(data)
    stored, _mime = blobs.read_blob(sha)
    store_id = world.users["salesperson"].store_id
    for_sales, mime = blobs.viewed_copy(sha, store_id, world.users["salesperson"])
    for_manager, _mime = blobs.viewed_copy(sha, store_id, world.users["sales_manager"])
    corner = (600, 560, 800, 600)

    def mean(raw: bytes) -> float:
        image = Image.open(io.BytesIO(raw)).convert("L")
        return ImageStat.Stat(image.crop(corner)).mean[0]

    original = mean(data)
    # Stored as the tablet took it (re-encoded): the corner is the photo's own.
    assert abs(mean(stored) - original) < 5
    # As viewed, a translucent band with the stamp darkens it: a clearly lower mean.
    assert mime == "image/jpeg" and mean(for_sales) < original - 20
    # Each viewer's copy is their own: the stamp names who looked.
    assert for_sales != for_manager
    with pytest.raises(blobs.BlobMissing):  # another store asks: nothing
        blobs.viewed_copy(sha, store_id + 1000, world.users["salesperson"])


def test_bytes_on_disk_are_not_a_readable_image_and_the_key_is_not_in_the_database(
    app, sales, blob_store
):
    data = s.jpeg(seed=7)
    s.put_blob(sales, data)
    path = blobs.blob_path(s.sha(data))
    assert path.parent.parent.parent == blob_store and path.parent.name == s.sha(data)[2:4]
    on_disk = path.read_bytes()
    assert not on_disk.startswith(b"\xff\xd8") and b"JFIF" not in on_disk
    with pytest.raises(Exception):  # noqa: B017 - any decoder error will do
        Image.open(io.BytesIO(on_disk)).load()
    key = base64.urlsafe_b64decode(s.TEST_BLOB_KEY)
    row = db.session.get(Blob, s.sha(data))
    assert row.key_id == blobs.key_id(key)
    for table in db.metadata.sorted_tables:
        for record in db.session.execute(sa.select(table)).all():
            text = repr(tuple(record))
            assert s.TEST_BLOB_KEY not in text and repr(key)[2:-1] not in text, table.name


def test_the_key_file_is_made_with_0600_on_first_use(app, tmp_path):
    app.config["BLOB_KEY"] = None
    app.instance_path = str(tmp_path / "instance")
    sealed = blobs.encrypt_text("secret")
    key_file = tmp_path / "instance" / "blob.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert blobs.decrypt_text(sealed) == "secret"


def test_workers_making_the_key_at_once_all_read_the_same_whole_key(app, tmp_path):
    # Two gunicorn workers' first uploads at the same moment: one makes the key, the other
    # must never read a file that exists but is not yet written.
    app.config["BLOB_KEY"] = None
    app.instance_path = str(tmp_path / "instance")
    seen: list[str] = []
    barrier = threading.Barrier(8)

    def first_use() -> None:
        with app.app_context():
            barrier.wait()
            blobs._key_lock = threading.Lock()  # each thread as its own process would be
            seen.append(blobs.key_id())

    threads = [threading.Thread(target=first_use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and len(set(seen)) == 1
    assert [p.name for p in (tmp_path / "instance").iterdir()] == ["blob.key"]


def test_disk_full_gives_507_and_leaves_nothing_half_written(app, sales, blob_store, monkeypatch):
    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(blobs.os, "fsync", full)
    data = s.jpeg(seed=9)
    response = s.put_blob(sales, data)
    assert response.status_code == 507 and response.get_json()["error"] == "disk_full"
    assert blob_count() == 0
    assert [p for p in blob_store.rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    assert s.put_blob(sales, data).status_code == 201  # the tablet's retry goes through


def test_blob_uploads_need_login_and_a_purpose(app, world):
    anonymous = app.test_client()
    data = s.jpeg()
    assert s.put_blob(anonymous, data).status_code == 401
    client = app.test_client()
    client.login("sales")
    response = client.put(
        f"/sync/blobs/{s.sha(data)}?purpose=avatar",
        data=data,
        headers={"Content-Type": "image/jpeg"},
    )
    assert response.status_code == 422 and response.get_json()["error"] == "purpose"

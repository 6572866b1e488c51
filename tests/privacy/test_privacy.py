"""Licence copies and signatures: who may see them, recent login, no-store, the access log,
consent withdrawal and the retention purge (file and row)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.privacy.conftest import login
from tests.sync import support as s
from webapp import blobs
from webapp.auth.models import UserSession
from webapp.blobs.models import Blob
from webapp.extensions import db
from webapp.privacy.models import SensitiveAccessLog
from webapp.testdrive.models import Consent, LicenceCheck, SignedDocument
from webapp.timeutil import local_today, now


def logs(action: str = "view") -> list[SensitiveAccessLog]:
    db.session.expire_all()
    return list(
        db.session.scalars(sa.select(SensitiveAccessLog).where(SensitiveAccessLog.action == action))
    )


@pytest.mark.parametrize("username", ["sales", "manager", "admin"])
def test_permitted_roles_see_the_licence_copy_with_no_store_and_every_view_is_logged(
    app, world, recorded, username
):
    client = login(app, username)
    page = client.get(f"/privacy/licence/{recorded['licence']}")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert s.VALID_ID not in html and "002X" in html
    image = client.get(f"/privacy/licence/{recorded['licence']}/image")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert image.headers["Cache-Control"] == "no-store"
    Image.open(io.BytesIO(image.data)).verify()
    sig = client.get(f"/privacy/signature/{recorded['signature']}/image")
    assert sig.status_code == 200 and sig.mimetype == "image/png"
    entries = logs()
    assert len(entries) == 3
    assert {(e.subject, e.detail) for e in entries} == {
        ("licence_check", "data"),
        ("licence_check", "image"),
        ("signed_document", "image"),
    }
    assert {e.user_id for e in entries} == {
        world.users[
            {"sales": "salesperson", "manager": "sales_manager", "admin": "admin"}[username]
        ].id
    }


@pytest.mark.parametrize(
    ("username", "status"),
    [("greeter", 403), ("colleague", 404), ("bmanager", 404), ("service", 404)],
)
def test_other_people_are_denied_and_nothing_is_shown(app, world, recorded, username, status):
    client = login(app, username)
    for path in (
        f"/privacy/licence/{recorded['licence']}",
        f"/privacy/licence/{recorded['licence']}/image",
        f"/privacy/signature/{recorded['signature']}",
        f"/privacy/signature/{recorded['signature']}/image",
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert response.mimetype != "image/jpeg"
    assert logs() == []


def test_a_stale_login_must_enter_the_password_again(app, world, recorded):
    client = login(app, "sales")
    db.session.execute(sa.update(UserSession).values(authenticated_at=now() - timedelta(hours=2)))
    db.session.commit()
    path = f"/privacy/licence/{recorded['licence']}"
    response = client.get(path)
    assert response.status_code == 302 and "/privacy/reauth" in response.headers["Location"]
    assert logs() == []
    wrong = client.post("/privacy/reauth", data={"password": "nope", "next": path})
    assert wrong.status_code == 422 and "f-password-error" in wrong.get_data(as_text=True)
    right = client.post("/privacy/reauth", data={"password": "correct-horse-battery", "next": path})
    assert right.status_code == 303 and right.headers["Location"].endswith(path)
    assert client.get(path).status_code == 200
    evil = client.post(
        "/privacy/reauth",
        data={"password": "correct-horse-battery", "next": "https://evil.example/"},
    )
    assert evil.headers["Location"] == "/"


def test_withdrawing_consent_deletes_the_copy_file_and_row_and_logs_it(app, world, recorded):
    path = blobs.blob_path(recorded["photo"])
    assert path.exists()
    client = login(app, "sales")
    response = client.post(f"/privacy/consent/{recorded['consent']}/withdraw")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(LicenceCheck, recorded["licence"]) is None
    assert db.session.get(Blob, recorded["photo"]) is None and not path.exists()
    assert db.session.get(Consent, recorded["consent"]).withdrawn_at is not None
    (entry,) = logs("withdraw")
    assert entry.subject_id == recorded["licence"] and entry.blob_sha256 == recorded["photo"]
    # A licence entry after the withdrawal is refused: no consent any more.
    assert db.session.get(SignedDocument, recorded["signature"]) is not None


def test_withdrawal_is_refused_to_a_colleague_and_a_greeter(app, world, recorded):
    assert (
        login(app, "colleague").post(f"/privacy/consent/{recorded['consent']}/withdraw").status_code
        == 404
    )
    assert (
        login(app, "greeter").post(f"/privacy/consent/{recorded['consent']}/withdraw").status_code
        == 403
    )
    assert db.session.get(LicenceCheck, recorded["licence"]) is not None


def test_purge_removes_expired_copies_file_and_row_and_logs_each(app, world, recorded):
    photo_path = blobs.blob_path(recorded["photo"])
    sig_path = blobs.blob_path(recorded["sig"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0 and "0 deleted." in result.output
    assert photo_path.exists()
    yesterday = local_today() - timedelta(days=1)
    db.session.execute(sa.update(LicenceCheck).values(purge_after=yesterday))
    db.session.execute(sa.update(SignedDocument).values(purge_after=yesterday))
    db.session.commit()
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert f"licence_check {recorded['licence']}" in result.output
    assert f"signed_document {recorded['signature']}" in result.output
    db.session.expire_all()
    assert db.session.get(LicenceCheck, recorded["licence"]) is None
    assert db.session.get(SignedDocument, recorded["signature"]) is None
    assert db.session.get(Blob, recorded["photo"]) is None
    assert not photo_path.exists() and not sig_path.exists()
    purged = logs("purge")
    assert {(e.subject, e.user_id) for e in purged} == {
        ("licence_check", None),
        ("signed_document", None),
    }


def test_purge_removes_uploads_never_linked_to_an_entry(app, world):
    sales = login(app, "sales")
    photo = s.jpeg(seed=21)
    s.put_blob(sales, photo)
    db.session.execute(sa.update(Blob).values(purge_after=local_today() - timedelta(days=1)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert "never linked" in result.output
    assert db.session.get(Blob, s.sha(photo)) is None
    assert not blobs.blob_path(s.sha(photo)).exists()

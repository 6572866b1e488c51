"""The tablet page of 附表十四 and 附表十五 (GET /delivery/<id>/checklists) and their Chinese
print (GET /delivery/<id>/forms/print)."""

# ruff: noqa: F811 - the fixtures imported from handover_fixtures are used as arguments

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.delivery.handover_fixtures import (  # noqa: F401
    catalogue,
    forms,
    handover_blobs,
    make_contract,
    new_delivery,
    other_store_delivery,
    own_delivery,
    required_keys,
    signature,
    tick,
)
from tests.sync import support as s
from webapp.extensions import db
from webapp.privacy.models import SensitiveAccessLog
from webapp.sync import registry


def logged_in(app, username: str):
    client = app.test_client()
    client.login(username)
    return client


def test_the_page_shows_both_forms_grouped_by_part_with_every_item(app, world, own_delivery, forms):
    html = (
        logged_in(app, "sales")
        .get(f"/delivery/{own_delivery.id}/checklists")
        .get_data(as_text=True)
    )
    assert "附表十四" in html and "附表十五" in html
    for kind in ("process", "handover"):
        for item in forms[kind].items:
            assert f'data-slot="tick:{kind}:{item["key"]}"' in html
            assert item["label_zh"] in html
        assert f'data-checklist-id="{forms[kind].id}"' in html
        assert f'id="signature-pad-{kind}"' in html
    # Parts in their order: 外观 before 内饰 on 附表十五.
    assert html.index("外观") < html.index("内饰") < html.index("文件、钥匙与燃油")
    assert world.own_card.name in html
    assert 'src="/static/js/delivery.js' in html and "htmx-2" not in html


def test_the_page_shows_progress_and_the_synced_ticks(app, own_delivery, forms):
    sales = logged_in(app, "sales")
    keys = required_keys(forms["handover"])
    batch = [tick(own_delivery, forms["handover"], key, n) for n, key in enumerate(keys, 1)]
    s.push(sales, batch)
    html = sales.get(f"/delivery/{own_delivery.id}/checklists").get_data(as_text=True)
    assert f'data-progress-for="handover">{len(keys)}</strong> / {len(keys)}' in html
    assert 'data-progress-for="process">0</strong>' in html
    handover_save = re.search(r'<button[^>]*id="signature-save-handover"[^>]*>', html).group(0)
    process_save = re.search(r'<button[^>]*id="signature-save-process"[^>]*>', html).group(0)
    assert "disabled" not in handover_save and "disabled" in process_save
    assert html.count("state-synced") == len(keys)


def test_the_service_advisor_opens_the_page_and_sees_no_price(app, own_delivery):
    response = logged_in(app, "service").get(f"/delivery/{own_delivery.id}/checklists")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "120,000" not in html and "120000" not in html and "¥" not in html


def test_the_page_is_not_for_the_greeter_nor_another_store(app, own_delivery, other_store_delivery):
    assert (
        logged_in(app, "greeter").get(f"/delivery/{own_delivery.id}/checklists").status_code == 403
    )
    sales = logged_in(app, "sales")
    assert sales.get(f"/delivery/{other_store_delivery.id}/checklists").status_code == 404
    assert sales.get(f"/delivery/{other_store_delivery.id}/forms/print").status_code == 404


def test_the_page_is_kept_for_offline_use(app, client, own_delivery):
    path = f"/delivery/{own_delivery.id}/checklists"
    assert any(re.match(p, path) for p in registry.offline_paths())
    assert not any(
        re.match(p, f"/delivery/{own_delivery.id}/forms/print") for p in registry.offline_paths()
    )
    body = client.get("/sw.js").get_data(as_text=True)
    assert r"^/delivery/\\d+/checklists$" in body


def test_the_print_is_in_chinese_for_an_english_user_with_the_signing_time(
    app, world, own_delivery, forms, handover_blobs
):
    sales = logged_in(app, "sales")
    sales.post("/language", data={"locale": "en"})
    image = s.png(300, 120)
    s.put_blob(sales, image, purpose="signature", mime="image/png")
    s.push(
        sales,
        [
            tick(own_delivery, forms["handover"], "paint_body", 1),
            signature(own_delivery, forms["handover"], s.sha(image), 2),
        ],
    )
    page = sales.get(f"/delivery/{own_delivery.id}/checklists").get_data(as_text=True)
    assert "Exterior" in page  # the tablet page follows the user's language
    html = sales.get(f"/delivery/{own_delivery.id}/forms/print").get_data(as_text=True)
    assert "交车过程及文件确认表" in html and "新车交接确认表" in html
    assert world.store_a.name in html
    assert "外观" in html and "Exterior" not in html
    assert "☑" in html and html.count("已签名") == 1 and "未签名" in html
    assert s.sha(image) not in html and "signature-thumb" not in html


def _signed(app, delivery, forms, username: str = "sales"):
    client = logged_in(app, username)
    image = s.png(300, 120)
    s.put_blob(client, image, purpose="signature", mime="image/png")
    s.push(client, [signature(delivery, forms["handover"], s.sha(image), 1)])
    return client, image


def test_the_signature_image_shows_to_the_salesperson_after_a_recent_login_and_is_logged(
    app, own_delivery, forms, handover_blobs
):
    sales, image = _signed(app, own_delivery, forms)
    response = sales.get(f"/delivery/{own_delivery.id}/forms/print")
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    url = f"/delivery/{own_delivery.id}/forms/handover/signature"
    assert f'src="{url}"' in html and "/forms/process/signature" not in html
    shown = sales.get(url)
    assert shown.status_code == 200 and shown.data == image
    assert shown.headers["Cache-Control"] == "no-store"
    logged = db.session.scalars(sa.select(SensitiveAccessLog)).all()
    assert [(x.subject, x.action, x.blob_sha256) for x in logged] == [
        ("delivery_signature", "view", s.sha(image))
    ]
    assert sales.get(f"/delivery/{own_delivery.id}/forms/process/signature").status_code == 404


def test_without_a_recent_login_the_print_asks_for_the_password(
    app, own_delivery, forms, handover_blobs
):
    sales, _image = _signed(app, own_delivery, forms)
    app.config["RECENT_LOGIN_MINUTES"] = -1
    html = sales.get(f"/delivery/{own_delivery.id}/forms/print").get_data(as_text=True)
    assert "/forms/handover/signature" not in html and "/reauth" in html
    assert "已签名" in html
    response = sales.get(f"/delivery/{own_delivery.id}/forms/handover/signature")
    assert response.status_code in (302, 303) and "/reauth" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SensitiveAccessLog)) == 0


def test_the_service_advisor_prints_the_forms_without_the_signature_image(
    app, own_delivery, forms, handover_blobs
):
    _signed(app, own_delivery, forms)
    service = logged_in(app, "service")
    html = service.get(f"/delivery/{own_delivery.id}/forms/print").get_data(as_text=True)
    assert "已签名" in html and "/forms/handover/signature" not in html and "/reauth" not in html
    url = f"/delivery/{own_delivery.id}/forms/handover/signature"
    assert service.get(url).status_code == 403

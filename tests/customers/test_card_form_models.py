"""The A card form offers the catalogue's models, in the reader's language."""

from __future__ import annotations

import re

from webapp.catalog.models import VehicleModel
from webapp.extensions import db


def _model_options(html: str) -> list[str]:
    select = html[
        html.index('id="f-model_id"') : html.index("</select>", html.index('id="f-model_id"'))
    ]
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)


def test_the_new_card_form_lists_every_active_model(client, world):
    db.session.add_all(
        [
            VehicleModel(code="COROLLA", name_zh="卡罗拉", name_en="Corolla"),
            VehicleModel(code="OLD", name_zh="停售车型", name_en="Retired", active=False),
        ]
    )
    client.login("sales")
    assert _model_options(client.get("/customers/new").get_data(as_text=True)) == ["卡罗拉"]


def test_the_edit_form_shows_the_card_model_selected_in_english_for_an_english_reader(
    client, world
):
    model = VehicleModel(code="RAV4", name_zh="荣放", name_en="RAV4")
    db.session.add(model)
    db.session.flush()
    world.own_card.model_id = model.id
    client.login("sales")
    client.post("/language", data={"locale": "en", "next": "/"})
    html = client.get(f"/customers/{world.own_card.id}/edit").get_data(as_text=True)
    assert _model_options(html) == ["RAV4"]
    assert f'<option value="{model.id}" selected>RAV4</option>' in html

"""The contract pages (新车订购单, 附表十一): the list and its state filter, making a contract
from a confirmed memo version, the contract page with its moves, signing on screen, the
customer's printed copy and who may see what."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.helpers import HX, assert_fragment, assert_full_page
from tests.negotiation.conftest import make_version
from webapp.auth.models import UserSession
from webapp.blobs.models import Blob
from webapp.extensions import db
from webapp.negotiation.contract_models import Contract, ContractEvent, ContractState
from webapp.privacy.models import SensitiveAccessLog
from webapp.timeutil import local_today, now

S = ContractState


def login(client, world, role: str):
    client.login(world.users[role].username)
    return client


def state_of(contract_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Contract, contract_id).state


def signature_data_url() -> str:
    image = Image.new("RGB", (300, 120), "white")
    for x in range(40, 260):
        image.putpixel((x, 60 + (x % 7)), (10, 20, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


# --- The list ---------------------------------------------------------------------------------


def test_the_list_shows_a_salesperson_only_their_own_contracts(client, world, make_contract):
    mine = make_contract(world.own_card, S.SUBMITTED)
    theirs = make_contract(world.colleague_card)
    outside = make_contract(world.other_store_card)
    html = assert_full_page(login(client, world, "salesperson").get("/negotiation/contracts"))
    assert mine.number in html
    assert "自己客户" in html
    assert "¥120,000.00" in html
    assert theirs.number not in html
    assert outside.number not in html


@pytest.mark.parametrize("role", ["sales_manager", "admin", "finance"])
def test_the_store_roles_see_every_contract_of_their_store(client, world, make_contract, role):
    mine = make_contract(world.own_card)
    theirs = make_contract(world.colleague_card)
    outside = make_contract(world.other_store_card)
    html = assert_full_page(login(client, world, role).get("/negotiation/contracts"))
    assert mine.number in html and theirs.number in html
    assert outside.number not in html


@pytest.mark.parametrize("role", ["greeter", "service_advisor", "car_keeper"])
def test_roles_without_prices_may_not_open_the_contract_list(client, world, role):
    assert login(client, world, role).get("/negotiation/contracts").status_code == 403


def test_filtering_by_state_counts_each_state_and_answers_with_the_rows_fragment(
    client, world, make_contract
):
    draft = make_contract(world.own_card)
    submitted = make_contract(world.colleague_card, S.SUBMITTED)
    login(client, world, "sales_manager")
    html = assert_fragment(
        client.get("/negotiation/contracts?state=submitted", headers=HX), "contract-rows"
    )
    assert submitted.number in html
    assert draft.number not in html
    assert 'aria-current="true"' in html
    # the chips count every open state, whatever the filter; closed states are plain links
    assert html.count("<strong>1</strong>") == 2
    assert "state=delivered" in html and "state=cancelled" in html
    full = assert_full_page(client.get("/negotiation/contracts?state=nonsense"))
    assert draft.number in full and submitted.number in full


def test_the_list_reads_the_same_number_of_statements_for_many_contracts(
    client, world, make_contract, make_card
):
    login(client, world, "sales_manager")
    make_contract(world.own_card)
    few = int(client.get("/negotiation/contracts").headers["X-SQL-Count"])
    for _ in range(6):
        make_contract(make_card(world.users["colleague"]))
    many = client.get("/negotiation/contracts")
    assert many.status_code == 200
    assert int(many.headers["X-SQL-Count"]) == few


# --- Making the contract ----------------------------------------------------------------------


def test_the_new_contract_form_is_prefilled_with_the_accepted_delivery_date(
    client, world, catalogue
):
    version = make_version(world.own_card, catalogue)
    html = assert_full_page(
        login(client, world, "salesperson").get(f"/negotiation/versions/{version.id}/contract")
    )
    assert f'value="{version.delivery_date:%Y-%m-%d}"' in html
    assert "¥120,000.00" in html


def test_a_delivery_date_before_the_contract_date_is_refused_next_to_the_field(
    client, world, catalogue
):
    version = make_version(world.own_card, catalogue)
    login(client, world, "salesperson")
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    response = client.post(
        f"/negotiation/versions/{version.id}/contract", data={"delivery_date": yesterday}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-delivery_date-error"' in html
    assert f'value="{yesterday}"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contract)) == 0


def test_a_contract_is_drafted_from_the_confirmed_version(client, world, catalogue):
    version = make_version(world.own_card, catalogue)
    login(client, world, "salesperson")
    day = (local_today() + timedelta(days=30)).isoformat()
    response = client.post(
        f"/negotiation/versions/{version.id}/contract", data={"delivery_date": day}
    )
    contract = db.session.scalar(sa.select(Contract))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/negotiation/contracts/{contract.id}")
    assert contract.state == S.DRAFT.value
    assert f"{contract.delivery_date:%Y-%m-%d}" == day


def test_an_unconfirmed_version_makes_no_contract(client, world, catalogue):
    version = make_version(world.own_card, catalogue, confirmed=False)
    login(client, world, "salesperson")
    response = client.post(
        f"/negotiation/versions/{version.id}/contract",
        data={"delivery_date": (local_today() + timedelta(days=5)).isoformat()},
    )
    assert response.status_code == 422
    assert 'class="form-error" role="alert"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contract)) == 0


def test_another_salesperson_or_store_cannot_reach_the_version(client, world, catalogue):
    version = make_version(world.own_card, catalogue)
    path = f"/negotiation/versions/{version.id}/contract"
    assert login(client, world, "colleague").get(path).status_code == 404
    client.post("/logout")
    assert login(client, world, "other_manager").get(path).status_code == 404
    client.post("/logout")
    assert login(client, world, "finance").get(path).status_code == 403


# --- The contract page ------------------------------------------------------------------------


def test_the_contract_page_shows_the_order_progress_log_and_the_owners_next_step(
    client, world, make_contract
):
    contract = make_contract(world.own_card)
    html = assert_full_page(
        login(client, world, "salesperson").get(f"/negotiation/contracts/{contract.id}")
    )
    assert contract.number in html
    assert "¥5,000.00" in html  # deposit due
    assert "¥115,000.00" in html  # balance due
    assert 'aria-current="step"' in html
    assert f"/negotiation/contracts/{contract.id}/submit" in html
    assert "/decide" not in html


def test_the_actions_fragment_is_the_named_block(client, world, make_contract):
    contract = make_contract(world.own_card, S.SUBMITTED)
    login(client, world, "sales_manager")
    html = assert_fragment(
        client.get(f"/negotiation/contracts/{contract.id}", headers=HX), "contract-actions"
    )
    assert f"/negotiation/contracts/{contract.id}/decide" in html


@pytest.mark.parametrize(
    ("role", "relation", "status"),
    [
        ("salesperson", "own", 200),
        ("salesperson", "colleague", 404),
        ("salesperson", "other_store", 404),
        ("sales_manager", "colleague", 200),
        ("sales_manager", "other_store", 404),
        ("finance", "colleague", 200),
        ("finance", "other_store", 404),
        ("admin", "colleague", 200),
        ("greeter", "own", 403),
        ("service_advisor", "own", 403),
    ],
)
def test_who_may_open_a_contract_page(client, world, make_contract, role, relation, status):
    card = {
        "own": world.own_card,
        "colleague": world.colleague_card,
        "other_store": world.other_store_card,
    }[relation]
    contract = make_contract(card, S.SIGNED)
    login(client, world, role)
    for path in ("", "/order"):
        assert client.get(f"/negotiation/contracts/{contract.id}{path}").status_code == status


def test_finance_reads_the_contract_but_may_not_approve_or_sign_it(client, world, make_contract):
    submitted = make_contract(world.own_card, S.SUBMITTED)
    approved = make_contract(world.colleague_card, S.APPROVED)
    login(client, world, "finance")
    html = assert_full_page(client.get(f"/negotiation/contracts/{submitted.id}"))
    assert "/decide" not in html
    decided = client.post(
        f"/negotiation/contracts/{submitted.id}/decide", data={"decision": "approve"}
    )
    assert decided.status_code == 403
    signed = client.post(
        f"/negotiation/contracts/{approved.id}/sign", data={"signature": signature_data_url()}
    )
    assert signed.status_code == 403
    assert state_of(submitted.id) == S.SUBMITTED.value
    assert state_of(approved.id) == S.APPROVED.value
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Blob)) == 0


def test_submitting_notifies_the_managers(client, world, make_contract):
    from webapp.push.models import Notification

    contract = make_contract(world.own_card)
    login(client, world, "salesperson")
    response = client.post(f"/negotiation/contracts/{contract.id}/submit")
    assert response.status_code == 303
    assert state_of(contract.id) == S.SUBMITTED.value
    notice = db.session.scalar(sa.select(Notification).where(Notification.kind == "approval"))
    assert notice.user_id == world.users["sales_manager"].id
    assert notice.url == f"/negotiation/contracts/{contract.id}"


def test_an_illegal_move_is_shown_as_a_message_and_changes_nothing(client, world, make_contract):
    contract = make_contract(world.own_card, S.APPROVED)
    events = len(contract.events)
    login(client, world, "salesperson")
    response = client.post(f"/negotiation/contracts/{contract.id}/submit")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="form-error" role="alert"' in html
    assert state_of(contract.id) == S.APPROVED.value
    count = sa.select(sa.func.count()).where(ContractEvent.contract_id == contract.id)
    assert db.session.scalar(count) == events


def test_the_owner_cancels_a_draft_with_a_reason(client, world, make_contract):
    contract = make_contract(world.own_card)
    login(client, world, "salesperson")
    refused = client.post(f"/negotiation/contracts/{contract.id}/cancel", data={"reason": ""})
    assert refused.status_code == 422
    assert 'id="f-reason-error"' in refused.get_data(as_text=True)
    assert state_of(contract.id) == S.DRAFT.value
    done = client.post(
        f"/negotiation/contracts/{contract.id}/cancel", data={"reason": "顾客改买二手车"}
    )
    assert done.status_code == 303
    assert state_of(contract.id) == S.CANCELLED.value


def test_a_signed_contract_is_cancelled_by_the_manager_alone(client, world, make_contract):
    contract = make_contract(world.own_card, S.SIGNED)
    login(client, world, "salesperson")
    page = client.get(f"/negotiation/contracts/{contract.id}").get_data(as_text=True)
    assert "/cancel" not in page
    assert (
        client.post(
            f"/negotiation/contracts/{contract.id}/cancel", data={"reason": "不要了"}
        ).status_code
        == 403
    )
    client.post("/logout")
    login(client, world, "sales_manager")
    assert (
        client.post(
            f"/negotiation/contracts/{contract.id}/cancel", data={"reason": "顾客退订"}
        ).status_code
        == 303
    )
    assert state_of(contract.id) == S.CANCELLED.value


# --- Signing -----------------------------------------------------------------------------------


def test_the_customer_signs_and_the_signature_is_a_claimed_sensitive_blob(
    client, world, make_contract
):
    contract = make_contract(world.own_card, S.APPROVED)
    login(client, world, "salesperson")
    page = assert_full_page(client.get(f"/negotiation/contracts/{contract.id}/sign"))
    assert "js/signature.js" in page and "signature_pad-5.1.4" in page
    response = client.post(
        f"/negotiation/contracts/{contract.id}/sign", data={"signature": signature_data_url()}
    )
    assert response.status_code == 303
    db.session.expire_all()
    signed = db.session.get(Contract, contract.id)
    blob = db.session.get(Blob, signed.signature_sha256)
    assert signed.state == S.SIGNED.value and signed.signed_at is not None
    assert blob.purpose == "signature" and blob.sensitive
    assert blob.linked_at is not None
    assert blob.store_id == contract.store_id
    assert signed.card.stage == "ordered"


def test_an_empty_signature_is_refused_next_to_the_box(client, world, make_contract):
    contract = make_contract(world.own_card, S.APPROVED)
    login(client, world, "salesperson")
    response = client.post(f"/negotiation/contracts/{contract.id}/sign", data={"signature": ""})
    assert response.status_code == 422
    assert 'id="f-signature-error"' in response.get_data(as_text=True)
    assert state_of(contract.id) == S.APPROVED.value


def test_signing_before_the_approval_stores_nothing(client, world, make_contract):
    contract = make_contract(world.own_card, S.SUBMITTED)
    login(client, world, "salesperson")
    assert client.get(f"/negotiation/contracts/{contract.id}/sign").status_code == 303
    response = client.post(
        f"/negotiation/contracts/{contract.id}/sign", data={"signature": signature_data_url()}
    )
    assert response.status_code == 422
    assert state_of(contract.id) == S.SUBMITTED.value
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Blob)) == 0


def test_a_file_that_is_not_a_png_is_refused(client, world, make_contract):
    contract = make_contract(world.own_card, S.APPROVED)
    login(client, world, "salesperson")
    fake = "data:image/png;base64," + base64.b64encode(b"<svg></svg>").decode()
    response = client.post(f"/negotiation/contracts/{contract.id}/sign", data={"signature": fake})
    assert response.status_code == 422
    assert state_of(contract.id) == S.APPROVED.value


def _signed(client, world, make_contract) -> Contract:
    contract = make_contract(world.own_card, S.APPROVED)
    login(client, world, "salesperson")
    client.post(
        f"/negotiation/contracts/{contract.id}/sign", data={"signature": signature_data_url()}
    )
    client.post("/logout")
    return contract


def test_the_signature_image_is_served_to_the_sales_roles_no_store_and_logged(
    client, world, make_contract
):
    contract = _signed(client, world, make_contract)
    login(client, world, "sales_manager")
    response = client.get(f"/negotiation/contracts/{contract.id}/signature")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    log = db.session.scalar(sa.select(SensitiveAccessLog))
    assert (log.subject, log.subject_id, log.user_id) == (
        "contract",
        contract.id,
        world.users["sales_manager"].id,
    )


@pytest.mark.parametrize(("role", "status"), [("finance", 403), ("other_manager", 404)])
def test_finance_and_other_stores_never_get_the_signature(
    client, world, make_contract, role, status
):
    contract = _signed(client, world, make_contract)
    login(client, world, role)
    assert client.get(f"/negotiation/contracts/{contract.id}/signature").status_code == status
    if role == "finance":
        order = client.get(f"/negotiation/contracts/{contract.id}/order").get_data(as_text=True)
        assert f"/negotiation/contracts/{contract.id}/signature" not in order


def test_the_signature_asks_for_the_password_again_after_a_while(client, world, make_contract):
    contract = _signed(client, world, make_contract)
    login(client, world, "salesperson")
    db.session.execute(sa.update(UserSession).values(authenticated_at=now() - timedelta(hours=2)))
    db.session.commit()
    response = client.get(f"/negotiation/contracts/{contract.id}/signature")
    assert response.status_code == 302
    assert "/privacy/reauth" in response.headers["Location"]
    order = client.get(f"/negotiation/contracts/{contract.id}/order").get_data(as_text=True)
    assert "/privacy/reauth" in order


def test_the_customers_copy_is_in_chinese_with_the_store_and_the_signature(
    client, world, make_contract
):
    contract = _signed(client, world, make_contract)
    world.users["salesperson"].locale = "en"
    db.session.commit()
    login(client, world, "salesperson")
    response = client.get(f"/negotiation/contracts/{contract.id}/order")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "新车订购单" in html and "附表十一" in html
    assert world.store_a.name in html
    assert f"/negotiation/contracts/{contract.id}/signature" in html
    assert "Purchase costs" not in html

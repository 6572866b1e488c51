"""Access policy of the contract pages (新车订购单, 附表十一): a salesperson works on their own
contracts, the sales manager and the admin on the store's; finance reads the store's contracts
but neither approves nor signs them, nor sees the customer's signature; greeters and the other
roles see no contract (contracts show prices). Role first (403), then scope (404)."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

from PIL import Image

from tests.conftest import World
from tests.negotiation.conftest import CASH_INPUTS
from tests.policies import fresh_cards
from webapp.auth.models import User
from webapp.blobs import store_blob
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.extensions import db
from webapp.negotiation.contract_models import Contract, ContractState, Memo, MemoVersion
from webapp.timeutil import local_today, now

OK, DENIED, HIDDEN, LOGIN = "ok", "403", "404", "login"
ROLES = [
    "anonymous",
    "greeter",
    "salesperson",
    "sales_manager",
    "service_advisor",
    "finance",
    "car_keeper",
    "admin",
]
RELATIONS = ("own", "colleague", "other_store")

RECORD_KINDS = ("contract", "signed_contract", "contract_version")


def only(*roles: str) -> dict[str, str]:
    """Staff roles listed get OK, other staff 403, anonymous is sent to log in."""
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


def _table(
    store: tuple[str, ...], owner_only: tuple[str, ...] = (), read_only: tuple[str, ...] = ()
) -> dict[str, Any]:
    """`store` roles reach the store's records, `owner_only` their own; `read_only` roles see
    the record (so another store's is 404) but may not act on it (403)."""
    table: dict[str, Any] = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = dict.fromkeys(RELATIONS, LOGIN)
        elif role in owner_only:
            table[role] = {"own": OK, "colleague": HIDDEN, "other_store": HIDDEN}
        elif role in store:
            table[role] = {"own": OK, "colleague": OK, "other_store": HIDDEN}
        elif role in read_only:
            table[role] = {"own": DENIED, "colleague": DENIED, "other_store": HIDDEN}
        else:
            table[role] = dict.fromkeys(RELATIONS, DENIED)
    return table


MANAGERS = ("sales_manager", "admin")
VIEW = _table((*MANAGERS, "finance"), owner_only=("salesperson",))
SALES_MOVE = _table(MANAGERS, owner_only=("salesperson",), read_only=("finance",))
DECIDE = _table(MANAGERS)
MAKE = _table(MANAGERS, owner_only=("salesperson",))


def _png(shade: int) -> bytes:
    image = Image.new("RGB", (120, 60), "white")
    for x in range(10, 110):
        image.putpixel((x, 30), (shade, 20, 60))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _build(world: World) -> dict[str, dict[str, Any]]:
    model = VehicleModel(code="CTRPOL", name_zh="政策合同车", name_en="Policy contract car")
    model.sfx.append(Sfx(code="CTR-1", grade="标准版", engine="1.5L", msrp=Decimal("100000")))
    model.colours.append(Colour(name_zh="白色", name_en="White"))
    db.session.add(model)
    db.session.flush()
    cards = fresh_cards(world, "合同")
    built: dict[str, dict[str, Any]] = {kind: {} for kind in RECORD_KINDS}
    for n, (relation, card) in enumerate(cards.items(), start=1):
        memo = Memo(store_id=card.store_id, card_id=card.id, owner_id=card.owner_id)
        db.session.add(memo)
        db.session.flush()
        versions = []
        for number in (1, 2, 3):
            version = MemoVersion(
                memo_id=memo.id,
                store_id=card.store_id,
                number=number,
                sfx_id=model.sfx[0].id,
                colour_id=model.colours[0].id,
                inputs=dict(CASH_INPUTS, purchase_date=local_today().isoformat()),
                list_price=Decimal("100000"),
                discount=Decimal("0"),
                total=Decimal("100000"),
                delivery_date=local_today() + timedelta(days=10),
                created_by_id=card.owner_id,
                confirmed_at=None,
            )
            db.session.add(version)
            versions.append(version)
        memo.latest_number = 3
        db.session.flush()
        owner = db.session.get(User, card.owner_id)
        contracts = {}
        for kind, state in (
            ("contract", ContractState.APPROVED),
            ("signed_contract", ContractState.SIGNED),
        ):
            version = versions[0 if kind == "contract" else 1]
            contracts[kind] = Contract(
                number=f"POL-{n}-{kind}",
                store_id=card.store_id,
                card_id=card.id,
                owner_id=card.owner_id,
                memo_version_id=version.id,
                model_id=model.id,
                sfx_id=model.sfx[0].id,
                colour_id=model.colours[0].id,
                state=state.value,
                contract_date=local_today(),
                delivery_date=local_today() + timedelta(days=10),
                total=Decimal("100000"),
                deposit_due=Decimal("5000"),
                balance_due=Decimal("95000"),
            )
            db.session.add(contracts[kind])
        db.session.commit()
        blob = store_blob(_png(n), "image/png", "signature", card.store_id, owner)
        blob.linked_at = now()
        contracts["signed_contract"].signature_sha256 = blob.sha256
        contracts["signed_contract"].signed_at = now()
        db.session.commit()
        built["contract"][relation] = contracts["contract"]
        built["signed_contract"][relation] = contracts["signed_contract"]
        built["contract_version"][relation] = versions[2]
    return built


def records(world: World, relation: str) -> dict[str, Any]:
    """The contracts (approved; signed) and memo version in `relation` to the acting user."""
    if "contracts" not in world.extra:
        world.extra["contracts"] = _build(world)
    return {kind: world.extra["contracts"][kind][relation] for kind in RECORD_KINDS}


POLICY: dict[str, list[tuple[str, str, dict, Any]]] = {
    "negotiation.contracts_list": [
        ("GET", "/negotiation/contracts", only("salesperson", *MANAGERS, "finance"), None)
    ],
    "negotiation.approvals": [("GET", "/negotiation/approvals", only(*MANAGERS), None)],
    "negotiation.new_contract": [
        ("GET", "/negotiation/versions/{contract_version}/contract", MAKE, None),
        (
            "POST",
            "/negotiation/versions/{contract_version}/contract",
            MAKE,
            lambda w, c: {"delivery_date": ""},
        ),
    ],
    "negotiation.contract": [("GET", "/negotiation/contracts/{contract}", VIEW, None)],
    "negotiation.contract_order": [("GET", "/negotiation/contracts/{contract}/order", VIEW, None)],
    # The approved contract cannot be submitted again: 422 for those who may try.
    "negotiation.submit_contract": [
        ("POST", "/negotiation/contracts/{contract}/submit", SALES_MOVE, None)
    ],
    "negotiation.decide_contract": [
        ("POST", "/negotiation/contracts/{contract}/decide", DECIDE, lambda w, c: {})
    ],
    "negotiation.sign_contract": [
        ("GET", "/negotiation/contracts/{contract}/sign", SALES_MOVE, None),
        ("POST", "/negotiation/contracts/{contract}/sign", SALES_MOVE, lambda w, c: {}),
    ],
    "negotiation.cancel_contract": [
        ("POST", "/negotiation/contracts/{contract}/cancel", SALES_MOVE, lambda w, c: {})
    ],
    "negotiation.contract_signature": [
        ("GET", "/negotiation/contracts/{signed_contract}/signature", SALES_MOVE, None)
    ],
}

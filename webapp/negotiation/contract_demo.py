"""Demo data of step ⑥ from the memo to the delivered car: a contract at every state, each made
through the area's own rules (memo version, customer's confirmation, contract, submission,
the manager's decision, the signature, finance's payments, the car from stock), and one memo
whose discount waits for the manager.

Idempotent: a store that has a contract gets nothing more.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from PIL import Image, ImageDraw

from webapp.auth.models import User
from webapp.blobs import store_blob
from webapp.catalog.models import Sfx
from webapp.customers.models import CustomerCard, Stage
from webapp.extensions import db
from webapp.negotiation import contracts, memo_inputs, memos
from webapp.negotiation.contract_models import Contract, ContractState
from webapp.negotiation.terms import terms_for
from webapp.org.models import Store
from webapp.stock.models import RESERVABLE, Vehicle
from webapp.timeutil import local_today

S = ContractState
# The states the demo contracts reach, in the order they are made.
TARGETS = (
    S.DRAFT,
    S.SUBMITTED,
    S.APPROVED,
    S.REJECTED,
    S.SIGNED,
    S.DEPOSIT_PAID,
    S.ALLOCATED,
    S.BALANCE_PAID,
    S.DELIVERED,
    S.CANCELLED,
)
NEEDS_CAR = (S.ALLOCATED, S.BALANCE_PAID, S.DELIVERED)
AFTER_APPROVAL = (S.SIGNED, S.DEPOSIT_PAID, S.ALLOCATED, S.BALANCE_PAID, S.DELIVERED)
ACCESSORIES = (("全车脚垫", "800", True), ("行车记录仪", "1280", False), ("太阳膜", "2400", False))


def signature_png(name: str) -> bytes:
    """A drawn signature (a squiggle and the name's hash as its shape) as PNG bytes."""
    seed = hashlib.sha256(name.encode()).digest()
    image = Image.new("RGB", (480, 160), "white")
    draw = ImageDraw.Draw(image)
    points = [(30 + i * 28, 80 + (seed[i] % 60) - 30) for i in range(16)]
    draw.line(points, fill="black", width=4, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _form(
    store_id: int, sfx: Sfx, colour_id: int | None, discount: str, *, loan: bool
) -> dict[str, Any]:
    today = local_today()
    form: dict[str, Any] = {
        "sfx_id": str(sfx.id),
        "colour_id": str(colour_id or ""),
        "discount": discount,
        "one_stop_service": "1",
        "trade_in_value": "0",
        "payment": "loan" if loan else "cash",
        "purchase_date": today.isoformat(),
        "delivery_date": (today + timedelta(days=21)).isoformat(),
        "delivery_accepted": "1",
    }
    terms = terms_for(store_id)
    form["compulsory_insurance"] = str(terms.compulsory_insurance)
    form["commercial_insurance"] = str(memo_inputs.commercial_estimate(terms, sfx.msrp))
    form["deposit"] = str(terms.default_deposit)
    if loan:
        form.update(
            {
                "down_payment": "30",
                "down_payment_unit": "percent",
                "term_months": "36",
                "annual_rate_percent": "0",
            }
        )
    for i, (name, price, gift) in enumerate(ACCESSORIES[:2]):
        form[f"accessories-{i}-name"] = name
        form[f"accessories-{i}-price"] = price
        if gift:
            form[f"accessories-{i}-is_gift"] = "1"
    return form


def _reach(
    target: S, contract: Contract, sales: User, manager: User, finance: User, car: Vehicle | None
) -> None:
    """Move a draft contract along the happy path until it stands at `target`."""
    if target is S.DRAFT:
        return
    if target is S.CANCELLED:
        contracts.cancel(sales, contract.id, "客户家庭原因暂缓购车")
        return
    contracts.submit(sales, contract.id)
    if target is S.SUBMITTED:
        return
    if target is S.REJECTED:
        contracts.decide(manager, contract.id, False, "优惠超出本月政策，请重新报价")
        return
    contracts.decide(manager, contract.id, True, "同意")
    if target is S.APPROVED:
        return
    for step in AFTER_APPROVAL:
        if step is S.SIGNED:
            png = signature_png(f"{contract.number}-{sales.username}")
            blob = store_blob(png, "image/png", "signature", contract.store_id, sales)
            contracts.sign(sales, contract.id, blob.sha256)
        elif step is S.DEPOSIT_PAID:
            contracts.record_payment(
                finance,
                contract.id,
                {"kind": "deposit", "amount": str(contract.deposit_due), "method": "pos"},
            )
        elif step is S.ALLOCATED:
            assert car is not None
            contracts.allocate(sales, contract.id, car.id)
        elif step is S.BALANCE_PAID:
            contracts.record_payment(
                finance,
                contract.id,
                {
                    "kind": "balance",
                    "amount": str(contracts.outstanding(contract)),
                    "method": "transfer",
                    "reference": "BANK-0001",
                },
            )
        elif step is S.DELIVERED:
            contracts.deliver(sales, contract.id)
        if step is target:
            return


def seed_demo(store: Store, users: dict[str, User]) -> str:
    """Load this area's demo data once (idempotent); return a line saying what happened."""
    if db.session.scalar(sa.select(Contract.id).where(Contract.store_id == store.id).limit(1)):
        return "Contract demo already present; nothing changed."
    sales = [u for u in (users.get("sales1"), users.get("sales2")) if u is not None]
    manager, finance = users.get("manager"), users.get("finance")
    if not sales or manager is None or finance is None:
        return "No contract demo: the demo staff are missing."
    cards = list(
        db.session.scalars(
            sa.select(CustomerCard)
            .where(
                CustomerCard.store_id == store.id,
                CustomerCard.owner_id.in_([u.id for u in sales]),
                CustomerCard.stage == Stage.PROSPECT.value,
                CustomerCard.model_id.is_not(None),
            )
            .order_by(CustomerCard.id)
        )
    )
    cars = list(
        db.session.scalars(
            sa.select(Vehicle)
            .where(
                Vehicle.store_id == store.id,
                Vehicle.status.in_([s.value for s in RESERVABLE]),
            )
            .order_by(Vehicle.id)
        )
    )
    if len(cards) < len(TARGETS) + 1 or len(cars) < len(NEEDS_CAR):
        return "No contract demo: too few open cards or cars."
    made = 0
    for i, target in enumerate(TARGETS):
        card = cards[i]
        owner = next(u for u in sales if u.id == card.owner_id)
        car = cars.pop(0) if target in NEEDS_CAR else None
        sfx = car.sfx if car is not None else _first_sfx(card.model_id)
        if sfx is None:
            continue
        colour_id = car.colour_id if car is not None else _first_colour(sfx)
        version = memos.save_version(
            owner, card.id, _form(store.id, sfx, colour_id, "3000", loan=i % 3 == 1)
        )
        memos.confirm_version(owner, version.id, "上牌大概需要几天？")
        contract = contracts.create_contract(owner, version.id, version.delivery_date)
        _reach(target, contract, owner, manager, finance, car)
        made += 1
    # One memo whose discount is above the threshold: it waits in the manager's queue.
    card = cards[len(TARGETS)]
    owner = next(u for u in sales if u.id == card.owner_id)
    sfx = _first_sfx(card.model_id)
    if sfx is not None:
        big = str(terms_for(store.id).discount_threshold + 4000)
        memos.save_version(
            owner, card.id, _form(store.id, sfx, _first_colour(sfx), big, loan=False)
        )
    return f"{made} contracts, one at each state, and a memo waiting for discount approval."


def _first_sfx(model_id: int | None) -> Sfx | None:
    return db.session.scalar(
        sa.select(Sfx).where(Sfx.model_id == model_id, Sfx.active).order_by(Sfx.msrp).limit(1)
    )


def _first_colour(sfx: Sfx) -> int | None:
    colours = sfx.model.colours
    return colours[0].id if colours else None

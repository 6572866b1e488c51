"""Step ⑥ data for the generator: memos, their versions and contracts at every state, with
their logs and payments, for the first stores of a scale (5,000 contracts a store at the
store and group scales).

Every version's amounts come from the real pricing rules (webapp/negotiation/pricing.py) over
its own inputs, in the shape webapp/negotiation/memos.py stores, so the memo pages render
what they would for a real customer. States follow the store's real mix: most contracts are
delivered, a few hundred wait for the manager, the rest are on the way.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from webapp.auth.models import Role, User, UserRole
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.negotiation.pricing import Accessory, FeeTable, LoanTerms, Quote, compute_quote

MEMO_COLUMNS = (
    "id", "store_id", "card_id", "owner_id", "latest_number", "created_at", "updated_at",
)  # fmt: skip
VERSION_COLUMNS = (
    "id", "memo_id", "store_id", "number", "sfx_id", "colour_id", "inputs", "list_price",
    "discount", "total", "delivery_date", "delivery_accepted", "approval", "approval_note",
    "decided_by_id", "decided_at", "customer_questions", "confirmed_at", "created_by_id",
    "created_at",
)  # fmt: skip
CONTRACT_COLUMNS = (
    "id", "number", "store_id", "card_id", "owner_id", "memo_version_id", "model_id", "sfx_id",
    "colour_id", "state", "contract_date", "delivery_date", "total", "deposit_due",
    "balance_due", "loan_principal", "paid_total", "decision_note", "decided_by_id",
    "decided_at", "signed_at", "cancel_reason", "created_at", "updated_at", "version",
)  # fmt: skip
EVENT_COLUMNS = (
    "store_id", "contract_id", "kind", "from_state", "to_state", "note", "actor_id", "at",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "store_id", "contract_id", "kind", "amount", "method", "reference", "received_on",
    "recorded_by_id", "recorded_at",
)  # fmt: skip

PATH = (
    "draft", "submitted", "approved", "signed", "deposit_paid", "allocated", "balance_paid",
    "delivered",
)  # fmt: skip
# state → share of a store's contracts
MIX = {
    "delivered": 62, "balance_paid": 3, "allocated": 4, "deposit_paid": 5, "signed": 4,
    "approved": 2, "submitted": 4, "rejected": 3, "draft": 6, "cancelled": 7,
}  # fmt: skip
FEES = FeeTable(Decimal(500), Decimal(300), Decimal(1000))
GIFTS = (("全车脚垫", "800"), ("行车记录仪", "1280"), ("太阳膜", "2400"), ("后备箱垫", "350"))


def _quote(rng: random.Random, sfx: Sfx, day: date) -> tuple[Quote, dict]:
    discount = Decimal(rng.choice((0, 2000, 3000, 5000, 8000)))
    accessories = tuple(
        Accessory(name, Decimal(price), is_gift=rng.random() < 0.5)
        for name, price in rng.sample(GIFTS, rng.randint(0, 3))
    )
    loan = None
    if rng.random() < 0.4:
        loan = LoanTerms(
            term_months=rng.choice((12, 24, 36, 60)),
            annual_rate_percent=Decimal(rng.choice(("0", "2.99", "3.99"))),
            down_payment=Decimal(30),
            down_payment_in_percent=True,
        )
    vehicle_price = sfx.msrp - discount
    commercial = (Decimal(1500) + vehicle_price * Decimal("0.02")).quantize(Decimal("0.01"))
    quote = Quote(
        list_price=sfx.msrp,
        purchase_date=day,
        fees=FEES,
        discount=discount,
        new_energy=sfx.new_energy,
        accessories=accessories,
        compulsory_insurance=Decimal(950),
        commercial_insurance=commercial,
        deposit=Decimal(5000),
        loan=loan,
    )
    inputs = {
        "sfx_id": sfx.id,
        "colour_id": None,
        "vehicle": {
            "model_zh": sfx.model.name_zh, "model_en": sfx.model.name_en, "sfx_code": sfx.code,
            "grade": sfx.grade, "engine": sfx.engine, "colour_zh": "", "colour_en": "",
        },
        "list_price": str(sfx.msrp), "new_energy": sfx.new_energy, "purchase_date": str(day),
        "discount": str(discount),
        "accessories": [
            {"name": a.name, "price": str(a.price), "is_gift": a.is_gift} for a in accessories
        ],
        "compulsory_insurance": "950.00", "commercial_insurance": str(commercial),
        "one_stop_service": True, "trade_in_value": "0.00", "deposit": "5000.00",
        "fees": {"plate_fee": "500.00", "inspection_fee": "300.00", "service_fee": "1000.00"},
        "loan": None if loan is None else {
            "down_payment": "30", "down_payment_in_percent": True,
            "term_months": loan.term_months, "annual_rate_percent": str(loan.annual_rate_percent),
        },
    }  # fmt: skip
    return quote, inputs


def _role_ids(role: Role) -> dict[int, int]:
    """store id → the first active user of the role there."""
    rows = db.session.execute(
        sa.select(User.store_id, sa.func.min(User.id))
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == role.value)
        .group_by(User.store_id)
    ).all()
    return dict(rows)


def _next_id(table: str) -> int:
    return (db.session.scalar(sa.text(f"select max(id) from {table}")) or 0) + 1  # noqa: S608


def create_contracts(
    rng: random.Random,
    store_ids: list[int],
    per_store: int,
    now: datetime,
    today: date,
    bulk_load,
) -> dict[str, int]:
    """Memos, versions, contracts, logs and payments for each store in `store_ids`."""
    sfx_list = list(
        db.session.scalars(sa.select(Sfx).join(VehicleModel).where(Sfx.active).order_by(Sfx.id))
    )
    colours: dict[int, list[int]] = {}
    for colour in db.session.scalars(sa.select(Colour)):
        colours.setdefault(colour.model_id, []).append(colour.id)
    managers, finance = _role_ids(Role.SALES_MANAGER), _role_ids(Role.FINANCE)
    states = [s for s, share in MIX.items() for _i in range(share)]
    ids = {t: _next_id(t) for t in ("memo", "memo_version", "contract")}
    counts = dict.fromkeys(("memo", "memo_version", "contract", "contract_event", "payment"), 0)
    for store_id in store_ids:
        cards = db.session.execute(
            sa.select(CustomerCard.id, CustomerCard.owner_id)
            .where(CustomerCard.store_id == store_id)
            .order_by(CustomerCard.stage.desc(), CustomerCard.id.desc())
            .limit(per_store)
        ).all()
        manager = managers.get(store_id)
        cashier = finance.get(store_id, manager)
        memos, versions, contracts, events, payments = [], [], [], [], []
        for n, (card_id, owner_id) in enumerate(cards):
            state = rng.choice(states)
            age = (
                rng.randint(0, 20)
                if state not in ("delivered", "cancelled")
                else rng.randint(10, 700)
            )
            day = today - timedelta(days=age)
            at = now - timedelta(days=age, minutes=rng.randint(0, 600))
            sfx = rng.choice(sfx_list)
            colour_id = rng.choice(colours.get(sfx.model_id) or [None])
            quote, inputs = _quote(rng, sfx, day)
            inputs["colour_id"] = colour_id
            result = compute_quote(quote)
            memo_id, version_id, contract_id = (
                ids["memo"] + n, ids["memo_version"] + n, ids["contract"] + n,
            )  # fmt: skip
            memos.append((memo_id, store_id, card_id, owner_id, 1, at, at))
            versions.append((
                version_id, memo_id, store_id, 1, sfx.id, colour_id,
                json.dumps(inputs, ensure_ascii=False), quote.list_price, quote.discount,
                result.total, day + timedelta(days=21), True, "not_needed", "", None, None, "",
                at, owner_id, at,
            ))  # fmt: skip
            passed = PATH[: PATH.index(state) + 1] if state in PATH else ("draft", "submitted")
            if state == "cancelled":
                passed = PATH[: rng.randint(1, 5)]
            paid = Decimal(0)
            if "deposit_paid" in passed:
                paid += quote.deposit
                payments.append((
                    store_id, contract_id, "deposit", quote.deposit, "pos", "", day,
                    cashier, at,
                ))  # fmt: skip
            cash = result.total - result.schedule.loan_principal
            if "balance_paid" in passed:
                payments.append((
                    store_id, contract_id, "balance", cash - paid, "transfer", "", day,
                    cashier, at,
                ))  # fmt: skip
                paid = cash
            decided = "approved" in passed or state == "rejected"
            contracts.append((
                contract_id, f"B{store_id:03d}-{day:%Y%m%d}-{contract_id:07d}", store_id,
                card_id, owner_id, version_id, sfx.model_id, sfx.id, colour_id, state, day,
                day + timedelta(days=21), result.total, quote.deposit,
                result.schedule.balance_due, result.schedule.loan_principal, paid,
                "优惠超出政策" if state == "rejected" else "", manager if decided else None,
                at if decided else None, at if "signed" in passed else None,
                "客户改买他店" if state == "cancelled" else "", at, at, 1,
            ))  # fmt: skip
            previous = ""
            for step in (*passed, *((state,) if state not in passed else ())):
                actor = manager if step in ("approved", "rejected") else owner_id
                if step in ("deposit_paid", "balance_paid"):
                    actor = cashier
                events.append((store_id, contract_id, "state", previous, step, "", actor, at))
                previous = step
        bulk_load("memo", MEMO_COLUMNS, memos)
        bulk_load("memo_version", VERSION_COLUMNS, versions)
        bulk_load("contract", CONTRACT_COLUMNS, contracts)
        bulk_load("contract_event", EVENT_COLUMNS, events)
        bulk_load("payment", PAYMENT_COLUMNS, payments)
        for key in ("memo", "memo_version", "contract"):
            ids[key] += len(cards)
        counts["memo"] += len(memos)
        counts["memo_version"] += len(versions)
        counts["contract"] += len(contracts)
        counts["contract_event"] += len(events)
        counts["payment"] += len(payments)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("memo", "memo_version", "contract"):
            db.session.execute(
                sa.text(f"select setval(pg_get_serial_sequence('{table}', 'id'), :v)"),
                {"v": ids[table]},
            )
        db.session.commit()
    return counts

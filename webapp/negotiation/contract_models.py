"""Tables of step ⑥ from the quotation to the paid car: the store's sales terms (fees and
insurance estimates of 附表十/十二, the discount threshold, the printed header), the memo
(商谈memo, 附表十) and its versions, the contract (新车订购单, 附表十一) with its state log,
payments and the contact plan while the customer waits for the car.

Money is `Numeric(12, 2)` in yuan and `Decimal` in Python. A memo version keeps what was
entered (`inputs`, with the store's fees as they were) so it prints the same for ever; the
totals are copied into columns for the lists.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import Role, User
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.stock.models import Vehicle
from webapp.timeutil import UTCDateTime, now

MONEY = sa.Numeric(12, 2)


class SalesTerms(db.Model):
    """A store's price terms, edited by its admin: the registration fees (附表十二), the
    insurance estimates, the discount above which the manager approves the memo, the usual
    deposit, and the address and phone printed under the store's name."""

    __tablename__ = "store_sales_terms"

    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"), primary_key=True)
    plate_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(500))
    inspection_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(300))
    service_fee: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(1000))
    compulsory_insurance: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(950))
    # Commercial cover estimate: a base amount plus a percentage of the vehicle price.
    commercial_base: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(1500))
    commercial_rate_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(2))
    discount_threshold: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(8000))
    default_deposit: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(5000))
    address: Mapped[str] = mapped_column(sa.String(100), default="")
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


class Approval(enum.StrEnum):
    """The manager's word on a memo version's discount."""

    NOT_NEEDED = "not_needed"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Memo(db.Model):
    """The negotiation memo of a card: one per card, revised in numbered versions."""

    __tablename__ = "memo"
    __table_args__ = (sa.UniqueConstraint("card_id"),)
    # Read by webapp.access: prices are not for the greeter.
    store_wide_roles = frozenset({Role.SALES_MANAGER, Role.ADMIN})

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"), index=True)
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    latest_number: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    card: Mapped[CustomerCard] = relationship()
    owner: Mapped[User] = relationship()
    versions: Mapped[list[MemoVersion]] = relationship(
        back_populates="memo", order_by="MemoVersion.number", cascade="all, delete-orphan"
    )


class MemoVersion(db.Model):
    """One version of a memo, never changed once saved but for the manager's decision and the
    customer's confirmation. `inputs` holds the quote as entered (see negotiation.memos)."""

    __tablename__ = "memo_version"
    __table_args__ = (
        sa.UniqueConstraint("memo_id", "number"),
        sa.Index("ix_memo_version_store_approval", "store_id", "approval"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    memo_id: Mapped[int] = mapped_column(sa.ForeignKey("memo.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    number: Mapped[int]
    sfx_id: Mapped[int] = mapped_column(sa.ForeignKey("sfx.id"))
    colour_id: Mapped[int | None] = mapped_column(sa.ForeignKey("colour.id"))
    inputs: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    list_price: Mapped[Decimal] = mapped_column(MONEY)
    discount: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    delivery_date: Mapped[date | None]
    delivery_accepted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    approval: Mapped[str] = mapped_column(sa.String(12), default=Approval.NOT_NEEDED.value)
    approval_note: Mapped[str] = mapped_column(sa.String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    customer_questions: Mapped[str] = mapped_column(sa.String(500), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    memo: Mapped[Memo] = relationship(back_populates="versions")
    sfx: Mapped[Sfx] = relationship()
    colour: Mapped[Colour | None] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ContractState(enum.StrEnum):
    """Where a contract stands; the allowed moves are in negotiation.contracts.TRANSITIONS."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SIGNED = "signed"
    DEPOSIT_PAID = "deposit_paid"
    ALLOCATED = "allocated"
    BALANCE_PAID = "balance_paid"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class Contract(db.Model):
    """A new-car order (新车订购单, 附表十一) made from a confirmed memo version.

    Salespeople see their own contracts; the manager, admin and finance see the store's
    (finance for the payments); greeters see none (`access`, by the class attributes below).
    """

    __tablename__ = "contract"
    __table_args__ = (
        sa.UniqueConstraint("number"),
        # A state's contracts oldest-updated first (the approval queue) without a sort.
        sa.Index("ix_contract_store_state_updated", "store_id", "state", "updated_at", "id"),
        sa.Index("ix_contract_store_created", "store_id", "created_at"),
        # The month's orders (webapp.pdca.actuals): signed in the month, by owner.
        sa.Index("ix_contract_store_signed", "store_id", "signed_at", "owner_id", "state"),
    )
    # Read by webapp.access: who sees every contract of the store, who sees none.
    store_wide_roles = frozenset({Role.SALES_MANAGER, Role.ADMIN, Role.FINANCE})

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30))
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    card_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customer_card.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    memo_version_id: Mapped[int] = mapped_column(sa.ForeignKey("memo_version.id"))
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicle_model.id"))
    sfx_id: Mapped[int] = mapped_column(sa.ForeignKey("sfx.id"))
    colour_id: Mapped[int | None] = mapped_column(sa.ForeignKey("colour.id"))
    state: Mapped[str] = mapped_column(sa.String(20), default=ContractState.DRAFT.value)
    contract_date: Mapped[date]
    delivery_date: Mapped[date | None]
    vehicle_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stock_vehicle.id"))
    total: Mapped[Decimal] = mapped_column(MONEY)
    deposit_due: Mapped[Decimal] = mapped_column(MONEY)
    balance_due: Mapped[Decimal] = mapped_column(MONEY)
    loan_principal: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    paid_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    decision_note: Mapped[str] = mapped_column(sa.String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signature_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    exported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    version: Mapped[int] = mapped_column(default=1)

    card: Mapped[CustomerCard] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    memo_version: Mapped[MemoVersion] = relationship()
    model: Mapped[VehicleModel] = relationship()
    sfx: Mapped[Sfx] = relationship()
    colour: Mapped[Colour | None] = relationship()
    vehicle: Mapped[Vehicle | None] = relationship(foreign_keys=[vehicle_id])
    events: Mapped[list[ContractEvent]] = relationship(
        back_populates="contract", order_by="ContractEvent.id", cascade="all, delete-orphan"
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="contract", order_by="Payment.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class ContractEvent(db.Model):
    """One line of a contract's log: a state change (`to_state` set) or a delay, with who,
    when and the note (the reason, the manager's note, the message sent to the customer)."""

    __tablename__ = "contract_event"
    __table_args__ = (sa.Index("ix_contract_event_contract", "contract_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contract.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(20), default="state")
    from_state: Mapped[str] = mapped_column(sa.String(20), default="")
    to_state: Mapped[str] = mapped_column(sa.String(20), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    contract: Mapped[Contract] = relationship(back_populates="events")
    actor: Mapped[User] = relationship()


class PaymentKind(enum.StrEnum):
    DEPOSIT = "deposit"
    BALANCE = "balance"


class PaymentMethod(enum.StrEnum):
    CASH = "cash"
    POS = "pos"
    TRANSFER = "transfer"


class Payment(db.Model):
    """Money received for a contract, recorded by finance."""

    __tablename__ = "payment"
    __table_args__ = (sa.Index("ix_payment_store_received", "store_id", "received_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    contract_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contract.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    method: Mapped[str] = mapped_column(sa.String(10))
    reference: Mapped[str] = mapped_column(sa.String(50), default="")
    received_on: Mapped[date]
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    contract: Mapped[Contract] = relationship(back_populates="payments")
    recorded_by: Mapped[User] = relationship()


class ContactKind(enum.StrEnum):
    """What the salesperson does for a customer waiting for the car."""

    CALL = "call"
    DRIVER_GUIDE = "driver_guide"
    HOLIDAY_GIFT = "holiday_gift"
    BALANCE = "balance"


class ContractContact(db.Model):
    """One planned contact of a waiting customer, shown on the salesperson's day when due."""

    __tablename__ = "contract_contact"
    __table_args__ = (sa.Index("ix_contract_contact_owner_due", "owner_id", "done_at", "due_on"),)
    store_wide_roles = frozenset({Role.SALES_MANAGER, Role.ADMIN})

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    contract_id: Mapped[int] = mapped_column(
        sa.ForeignKey("contract.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    due_on: Mapped[date]
    label: Mapped[str] = mapped_column(sa.String(30), default="")  # the holiday's code
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    contract: Mapped[Contract] = relationship()

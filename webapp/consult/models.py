"""Models of needs analysis and presentation (steps ③ ④): the questionnaire 附表七 and its
analyses, the six-position walkaround (六方位) with FAB points, competitor comparison sheets,
and the daily display-car setup checklist (展车设置)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now

# The six positions of the walkaround, in the order the salesperson walks them.
POSITIONS = ("front45", "driver_side", "rear", "passenger_side", "engine_bay", "interior")


class Questionnaire(db.Model):
    """One version of 附表七 来店顾客调查问卷, kept as data (admins edit it).

    `items` is a list of {"key", "label_zh", "label_en", "type": text|choice|date|number|
    yesno|model, "options": [...], "field": an A card field or ""}. Editing makes a new
    version; analyses record the version they were filled against.
    """

    __tablename__ = "questionnaire"
    __table_args__ = (sa.UniqueConstraint("version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int]
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    current: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class NeedsAnalysis(db.Model):
    """One needs analysis (附表七) with a customer: answers that have no A card field, the
    summary the customer confirmed (with the time) and the recommended model.

    Answers that map to a card field live on the card itself (customer_card), not here.
    """

    __tablename__ = "needs_analysis"
    __table_args__ = (sa.Index("ix_needs_analysis_card", "card_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaire.id"))
    answers: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recommended_model_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vehicle_model.id"))
    recommendation_note: Mapped[str] = mapped_column(sa.String(500), default="")
    recommended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    questionnaire: Mapped[Questionnaire] = relationship(lazy="joined")
    recommended_model: Mapped[VehicleModel | None] = relationship(lazy="joined")


class WalkaroundPoint(db.Model):
    """A FAB point (Feature → Advantage → Benefit) at one of the six walkaround positions of
    a model; `tags` name the needs it answers (economy, family, safety …)."""

    __tablename__ = "walkaround_point"
    __table_args__ = (sa.Index("ix_walkaround_point_model", "model_id", "sort_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicle_model.id", ondelete="CASCADE"))
    position: Mapped[str] = mapped_column(sa.String(20))
    feature: Mapped[str] = mapped_column(sa.String(100))
    advantage: Mapped[str] = mapped_column(sa.String(200))
    benefit: Mapped[str] = mapped_column(sa.String(200))
    tags: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    sort_order: Mapped[int] = mapped_column(default=0)


class WalkaroundRecord(db.Model):
    """The walkaround done with one customer for one model: which positions were presented
    and when (`positions` maps position → ISO time of the tick)."""

    __tablename__ = "walkaround_record"
    __table_args__ = (sa.Index("ix_walkaround_record_card", "card_id", "model_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicle_model.id"))
    positions: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ComparisonSheet(db.Model):
    """A competitor comparison table: one of our models against one rival (竞品对比).

    Like for like: `ours_version` and `theirs_version` name the two versions compared (e.g.
    卡罗拉 双擎 1.8L E-CVT 精英版 vs 轩逸 e-POWER 超智版). `rows` is a list of {"aspect", "ours",
    "theirs", "source", "as_of"}: each fact with where it comes from and its as-of date
    (ISO), a row's own or else the sheet's `source` and `as_of`. `aliases` are the names a
    customer may use for the rival (matched against the card's competitors).
    """

    __tablename__ = "comparison_sheet"
    __table_args__ = (sa.UniqueConstraint("model_id", "competitor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicle_model.id", ondelete="CASCADE"))
    competitor: Mapped[str] = mapped_column(sa.String(60))
    aliases: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    ours_version: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    theirs_version: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    source: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    as_of: Mapped[date | None]
    rows: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    version: Mapped[int] = mapped_column(default=1)

    model: Mapped[VehicleModel] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class DisplayCar(db.Model):
    """A car on the showroom floor: model, colour and where it stands."""

    __tablename__ = "display_car"
    __table_args__ = (sa.Index("ix_display_car_store", "store_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicle_model.id"))
    colour: Mapped[str] = mapped_column(sa.String(30))
    position: Mapped[str] = mapped_column(sa.String(50))
    sunroof: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    model: Mapped[VehicleModel] = relationship(lazy="joined")


class DisplayCarCheck(db.Model):
    """The setup checklist (展车设置) of one display car on one day.

    `items` maps item key → {"ok": bool, "note": str, "photo": sha256 or None}; `ready` is
    true when every applicable item is ok. The manager's check is recorded separately.
    """

    __tablename__ = "display_car_check"
    __table_args__ = (
        sa.UniqueConstraint("car_id", "day"),
        sa.Index("ix_display_car_check_store_day", "store_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    car_id: Mapped[int] = mapped_column(sa.ForeignKey("display_car.id", ondelete="CASCADE"))
    day: Mapped[date]
    items: Mapped[dict[str, dict[str, Any]]] = mapped_column(sa.JSON, default=dict)
    ready: Mapped[bool] = mapped_column(default=False)
    checked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    manager_checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    manager_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    manager_note: Mapped[str] = mapped_column(sa.String(500), default="")
    # "All OK" (全部合格): who marked every item right in one action, and when; cleared when
    # the checklist is saved item by item.
    all_ok_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    all_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    car: Mapped[DisplayCar] = relationship(lazy="joined")
    checked_by: Mapped[User] = relationship(foreign_keys=[checked_by_id], lazy="joined")
    all_ok_by: Mapped[User | None] = relationship(foreign_keys=[all_ok_by_id], lazy="joined")
    manager_checked_by: Mapped[User | None] = relationship(
        foreign_keys=[manager_checked_by_id], lazy="joined"
    )

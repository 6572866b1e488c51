"""Staff users, their roles and their server-side login sessions."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.org.models import Store
from webapp.timeutil import UTCDateTime, now


class Role(enum.StrEnum):
    """Staff roles of the FTMS process (a user may hold several)."""

    GREETER = "greeter"  # 接待
    SALESPERSON = "salesperson"  # 销售顾问
    SALES_MANAGER = "sales_manager"  # 销售部长
    SERVICE_ADVISOR = "service_advisor"  # 服务顾问
    FINANCE = "finance"  # 财务
    CAR_KEEPER = "car_keeper"  # 试驾车管理员
    ADMIN = "admin"  # 管理员


class User(UserMixin, db.Model):
    """A member of staff. `store_id` is the home store; group admins see the whole group."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"), index=True)
    username: Mapped[str] = mapped_column(sa.String(50), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(50))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    group_admin: Mapped[bool] = mapped_column(default=False)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    # Loaded on use: the signed-in user's store and roles come with the login check's one
    # statement (auth.services.load_session_user); an owner, an actor or a recorder shown
    # on a page needs neither, and eager defaults made every such row join the store and
    # fire a roles query.
    store: Mapped[Store] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", back_populates="user"
    )

    # Set by the user loader: the token of the session this request runs under.
    session_token = None  # str | None, not a column

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str | None:
        """Flask-Login's alternative id: the per-login session token, never the user id.

        A cookie therefore stops working the moment its server-side session row is revoked.
        """
        return self.session_token


class UserRole(db.Model):
    """One role held by a user."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class UserSession(db.Model):
    """A server-side record of one login; the cookie holds only a random token."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    # sha256 of the token: a leaked database does not yield usable cookies.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    authenticated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")

    user: Mapped[User] = relationship()

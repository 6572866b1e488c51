"""Demo data for one store (and a second store, to show that stores do not see each other):
the dealer group, the stores and the staff here; the catalogue and each area's data in their
own `demo.py` (webapp/catalog/demo.py, then the areas listed in SEEDERS).

`flask seed-demo` loads it once; running it again changes nothing. Times and dates are
relative to the store's clock at the load (Asia/Shanghai): the follow-ups fall due around that
day, and the register is placed within opening hours (see webapp/reception/demo.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp.auth.models import Role, User, UserRole
from webapp.auth.passwords import hash_password
from webapp.catalog import demo as catalog_demo
from webapp.consult import demo as consult_demo
from webapp.customers import demo as customers_demo
from webapp.delivery import demo as delivery_demo
from webapp.extensions import db
from webapp.followup import demo as followup_demo
from webapp.negotiation import contract_demo
from webapp.negotiation import demo as negotiation_demo
from webapp.org.models import DealerGroup, Store
from webapp.pdca import demo as pdca_demo
from webapp.push import demo as push_demo
from webapp.reception import demo as reception_demo
from webapp.stock import demo as stock_demo
from webapp.testdrive import demo as testdrive_demo

DEMO_STORE = "FTDEMO01"
OTHER_STORE = "FTDEMO02"

# Each area's seed_demo(demo store, users) -> a line saying what it did; idempotent. In the
# order their data depends on: the test drives are booked for the first cards of sales1 and
# sales3, before reception's visits and the inbox.
SEEDERS = (
    customers_demo,
    testdrive_demo,
    stock_demo,
    consult_demo,
    reception_demo,
    push_demo,
    negotiation_demo,
    contract_demo,
    delivery_demo,
    followup_demo,
    pdca_demo,
)

# (username, display name, roles, password, store code, group admin)
DEMO_USERS: list[tuple[str, str, tuple[Role, ...], str, str, bool]] = [
    ("admin", "系统管理员", (Role.ADMIN,), "demo-admin-2026", DEMO_STORE, True),
    ("manager", "刘建国", (Role.SALES_MANAGER,), "demo-manager-2026", DEMO_STORE, False),
    ("sales1", "王晓明", (Role.SALESPERSON,), "demo-sales-2026", DEMO_STORE, False),
    ("sales2", "李婷", (Role.SALESPERSON,), "demo-sales-2026", DEMO_STORE, False),
    ("sales3", "张伟", (Role.SALESPERSON,), "demo-sales-2026", DEMO_STORE, False),
    ("greeter", "陈静", (Role.GREETER,), "demo-greeter-2026", DEMO_STORE, False),
    ("service", "赵磊", (Role.SERVICE_ADVISOR,), "demo-service-2026", DEMO_STORE, False),
    ("finance", "孙丽", (Role.FINANCE,), "demo-finance-2026", DEMO_STORE, False),
    ("keeper", "周强", (Role.CAR_KEEPER,), "demo-keeper-2026", DEMO_STORE, False),
    ("other.sales", "吴昊", (Role.SALESPERSON,), "demo-sales-2026", OTHER_STORE, False),
    ("other.manager", "郑敏", (Role.SALES_MANAGER,), "demo-manager-2026", OTHER_STORE, False),
]


def _store(code: str, name: str, city: str, group: DealerGroup) -> Store:
    store = db.session.scalar(sa.select(Store).where(Store.code == code))
    if store is None:
        store = Store(code=code, name=name, city=city, group=group)
        db.session.add(store)
        db.session.flush()
    return store


def _users(stores: dict[str, Store]) -> dict[str, User]:
    users = {}
    hashes: dict[str, str] = {}
    for username, name, roles, password, store_code, group_admin in DEMO_USERS:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            if password not in hashes:
                hashes[password] = hash_password(password)
            user = User(
                username=username,
                display_name=name,
                password_hash=hashes[password],
                store=stores[store_code],
                group_admin=group_admin,
            )
            user.role_rows = [UserRole(role=r.value) for r in roles]
            db.session.add(user)
        users[username] = user
    db.session.flush()
    return users


def seed() -> str:
    """Load the demo data once; return a line saying what happened (one part an area)."""
    group = db.session.scalar(sa.select(DealerGroup).where(DealerGroup.name == "示范汽车集团"))
    if group is None:
        group = DealerGroup(name="示范汽车集团")
        db.session.add(group)
    stores = {
        DEMO_STORE: _store(DEMO_STORE, "一汽丰田示范店", "天津", group),
        OTHER_STORE: _store(OTHER_STORE, "一汽丰田二号店", "北京", group),
    }
    catalog_demo.load_catalogue()
    users = _users(stores)
    notes: list[str] = []
    for area in SEEDERS:
        notes.append(area.seed_demo(stores[DEMO_STORE], users))
        db.session.commit()
    return " ".join(notes)


def logins_text() -> str:
    """The demo logins, as `make run` prints them."""
    lines = ["Demo logins (username / password):"]
    for username, name, roles, password, store_code, _g in DEMO_USERS:
        role_names = ", ".join(r.value for r in roles)
        lines.append(f"  {username:<14} {password:<20} {role_names} · {name} · {store_code}")
    return "\n".join(lines)

"""The demo data demos: FAB points at all six positions for every model, fair like-for-like
comparison sheets with a source and date for every fact, real mobile ranges, a register placed
by the store's clock (nothing in the future, no zero-minute stays, one arrival waiting), and
follow-ups due around today rather than months ago."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from webapp.auth.models import Role
from webapp.catalog import demo as catalog_demo
from webapp.catalog.models import VehicleModel
from webapp.consult.models import POSITIONS, ComparisonSheet, WalkaroundPoint
from webapp.consult.services.comparison import facts
from webapp.customers.models import CustomerCard, Grade, Stage
from webapp.customers.services import grade_rules
from webapp.demo import DEMO_STORE, seed
from webapp.extensions import db
from webapp.org.models import Store
from webapp.reception import demo as reception_demo
from webapp.reception.models import Visit, VisitKind
from webapp.reception.stays import STAY_BUCKETS
from webapp.timeutil import SHANGHAI, local_today, now

# Mainland mobile (voice) ranges; 140-149 are data-only and IoT numbers.
MOBILE_RANGES = {
    *(f"13{d}" for d in range(10)),
    *("150", "151", "152", "153", "155", "156", "157", "158", "159"),
    *("166", "176", "177", "178", "199"),
    *(f"18{d}" for d in range(10)),
}
# Words that judge a rival rather than state a fact.
DISPARAGING = (
    "抖动",
    "故障",
    "毛病",
    "不如",
    "落后",
    "廉价",
    "低端",
    "缩水",
    "偷工",
    "不靠谱",
    "差",
)
HYBRID_MARKS = ("混动", "双擎", "e:HEV", "e-POWER", "DM-i", "HEV")


@pytest.fixture
def demo(app):
    seed()
    return db.session.scalar(sa.select(Store).where(Store.code == DEMO_STORE))


def test_every_model_has_fab_points_at_every_position(demo):
    models = list(db.session.scalars(sa.select(VehicleModel)))
    assert len(models) == len(catalog_demo.CATALOGUE)
    for model in models:
        points = list(
            db.session.scalars(
                sa.select(WalkaroundPoint).where(WalkaroundPoint.model_id == model.id)
            )
        )
        assert {p.position for p in points} == set(POSITIONS), model.code
        assert all(p.feature and p.advantage and p.benefit for p in points), model.code


def test_comparison_sheets_are_like_for_like_with_a_source_and_date_for_every_fact(demo):
    sheets = list(db.session.scalars(sa.select(ComparisonSheet)))
    assert len(sheets) >= 8
    for sheet in sheets:
        grades = {sfx.grade: sfx.engine for sfx in sheet.model.sfx}
        # Our version is one of the model's versions, and the rival's is of the same kind.
        assert sheet.ours_version in grades, sheet.competitor
        hybrid = any(mark in grades[sheet.ours_version] for mark in ("混动", "插混"))
        theirs_hybrid = any(mark in sheet.theirs_version for mark in HYBRID_MARKS)
        assert hybrid == theirs_hybrid, (sheet.ours_version, sheet.theirs_version)
        assert sheet.theirs_version
        for fact in facts(sheet):
            assert fact.source and fact.as_of is not None, (sheet.competitor, fact.aspect)
            assert fact.as_of <= local_today()
            text = fact.aspect + fact.ours + fact.theirs
            assert not any(word in text for word in DISPARAGING), (sheet.competitor, text)


def test_demo_mobiles_use_mainland_mobile_ranges_and_follow_ups_fall_due_around_today(demo):
    cards = list(db.session.scalars(sa.select(CustomerCard)))
    visits = list(db.session.scalars(sa.select(Visit)))
    mobiles = [c.mobile for c in cards] + [v.mobile for v in visits if v.mobile]
    assert mobiles and all(m[:3] in MOBILE_RANGES and len(m) == 11 for m in mobiles)

    today = local_today()
    rules = grade_rules(demo.id)
    open_cards = [
        c
        for c in cards
        if c.store_id == demo.id and c.stage in (Stage.PROSPECT.value, Stage.ORDERED.value)
    ]
    for card in open_cards:
        every = rules[Grade(card.grade)][1]
        assert (
            today - timedelta(days=2) <= card.next_follow_up_due <= today + timedelta(days=every)
        ), (card.grade, card.next_follow_up_due)
    due = [c.next_follow_up_due for c in open_cards]
    assert due.count(today) >= 5 and any(d < today for d in due)
    hot = [c for c in open_cards if c.grade == Grade.H.value]
    assert hot and all(c.next_follow_up_due <= today + timedelta(days=2) for c in hot)
    assert any(c.address and c.occupation for c in cards)
    assert any(c.driving_style and c.focus_points for c in cards)


def test_the_seeded_register_is_in_the_past_with_stays_and_varied_models(demo):
    visits = list(db.session.scalars(sa.select(Visit).where(Visit.store_id == demo.id)))
    moment = now()
    assert visits and all(v.time_in <= moment for v in visits)
    assert all(v.time_out > v.time_in for v in visits if v.time_out is not None)
    assert len({v.model_id for v in visits}) >= 4


def test_the_demo_walk_ins_fill_every_bucket_of_the_time_in_the_showroom(demo):
    """A look round, a needs analysis, a test drive: the dashboard's chart shows a spread."""
    stays = db.session.execute(
        sa.select(Visit.time_in, Visit.time_out).where(
            Visit.store_id == demo.id,
            Visit.kind == VisitKind.WALK_IN.value,
            Visit.time_out.is_not(None),
        )
    ).all()
    minutes = [(time_out - time_in).total_seconds() / 60 for time_in, time_out in stays]
    for low, high in STAY_BUCKETS:
        assert any(low <= m and (high is None or m < high) for m in minutes), (low, high)


def _day(moment_local: tuple[int, int]) -> datetime:
    hour, minute = moment_local
    return datetime.combine(date(2026, 3, 10), time(hour, minute), SHANGHAI)


@pytest.mark.parametrize(
    "clock", [(6, 0), (9, 5), (9, 25), (9, 40), (11, 30), (17, 59), (20, 15)], ids=str
)
def test_the_register_follows_the_store_clock(world, make_user, clock):
    catalog_demo.load_catalogue()
    users = {
        "sales1": world.users["salesperson"],
        "sales2": world.users["colleague"],
        "sales3": make_user(Role.SALESPERSON, store=world.store_a, username="s3"),
        "greeter": world.users["greeter"],
        "manager": world.users["sales_manager"],
    }
    moment = _day(clock)
    line = reception_demo.seed_demo(world.store_a, users, moment)
    db.session.commit()
    visits = list(db.session.scalars(sa.select(Visit).order_by(Visit.time_in)))
    before_opening = clock < (9, 20)
    after_closing = clock >= (18, 0)
    expected_day = moment.date() - timedelta(days=1) if before_opening else moment.date()
    assert ("yesterday" in line) is before_opening
    assert {v.day for v in visits} == {expected_day}
    for visit in visits:
        local_in = visit.time_in.astimezone(SHANGHAI)
        assert visit.time_in <= moment
        assert time(9) <= local_in.time() and local_in.date() == expected_day
        if visit.time_out is not None:
            assert visit.time_out - visit.time_in >= timedelta(minutes=1)
            assert visit.time_out <= moment
        if visit.greeted_at is not None:
            assert visit.time_in < visit.greeted_at <= (visit.time_out or moment)
    waiting = [
        v
        for v in visits
        if v.kind == VisitKind.WALK_IN.value and v.time_out is None and v.greeted_at is None
    ]
    if before_opening or after_closing:
        assert waiting == [] and all(v.time_out is not None for v in visits)
    else:
        assert [v.owner_id for v in waiting] == [users["sales1"].id]
        assert any(v.greeted_at is not None and v.time_out is None for v in visits)
    assert all(v.purpose for v in visits if v.kind == VisitKind.WALK_IN.value)
    assert len({v.model_id for v in visits}) >= 4

"""The rotation rule as a pure function: order, busy, ties, passed-over lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webapp.reception.rotation import OnDuty, next_up, passed_over, ranking

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def test_first_turn_follows_the_roster_order():
    duty = [OnDuty(2, position=2), OnDuty(1, position=1), OnDuty(3, position=3)]
    assert next_up(duty).user_id == 1
    assert [p.user_id for p in ranking(duty)] == [1, 2, 3]


def test_fewest_turns_goes_first_then_longest_wait():
    duty = [
        OnDuty(1, 1, turns=2, last_turn_at=T0),
        OnDuty(2, 2, turns=1, last_turn_at=T0 + timedelta(minutes=30)),
        OnDuty(3, 3, turns=1, last_turn_at=T0 + timedelta(minutes=10)),
    ]
    assert [p.user_id for p in ranking(duty)] == [3, 2, 1]


def test_busy_salesperson_is_skipped_and_keeps_their_place():
    duty = [OnDuty(1, 1, busy=True), OnDuty(2, 2)]
    assert next_up(duty).user_id == 2
    back = [OnDuty(1, 1, busy=False), OnDuty(2, 2, turns=1, last_turn_at=T0)]
    assert next_up(back).user_id == 1


def test_everyone_busy_or_nobody_on_duty_gives_no_proposal():
    assert next_up([OnDuty(1, 1, busy=True)]) is None
    assert next_up([]) is None


def test_passed_over_lists_those_ranked_before_the_chosen():
    duty = [OnDuty(1, 1, busy=True), OnDuty(2, 2), OnDuty(3, 3)]
    assert [p.user_id for p in passed_over(duty, 3)] == [1, 2]
    assert passed_over(duty, 1) == []

"""The rotation rule (轮流接待), as a pure function over today's roster and register.

The rule, in words:
- Only salespeople on today's roster and not absent are on duty. Nobody on duty → no proposal.
- Next up is the on-duty salesperson, not busy with a customer, with the fewest *rotation
  turns* today; a tie goes to whoever took their last turn longest ago (never before all
  others), then to the roster order. So a busy salesperson is skipped while busy and is
  next again as soon as the visit closes: they lost nothing by being busy.
- A rotation turn is a walk-in assigned from the rotation: the proposal taken, or the
  greeter's override (the person chosen gets the turn; the person passed over keeps theirs,
  so they are still next).
- A repeat customer goes to their own salesperson and is *not* a rotation turn: an own
  customer is the fruit of earlier follow-up, not a share of the walk-ins. It neither costs
  the owner their place in the queue nor gives them an extra one; while with the customer
  the owner is busy and skipped, like anyone with a customer.
- Phone calls are not walk-ins: they neither take a turn nor make anyone busy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OnDuty:
    """One salesperson as the rotation sees them."""

    user_id: int
    position: int  # roster order, 1 first
    turns: int = 0  # rotation turns taken today
    last_turn_at: datetime | None = None
    busy: bool = False


def ranking(on_duty: list[OnDuty]) -> list[OnDuty]:
    """Everyone on duty in the order the rotation would take them, busy ones included."""

    def key(person: OnDuty) -> tuple[int, int, float, int]:
        never = person.last_turn_at is None
        stamp = 0.0 if never else person.last_turn_at.timestamp()  # type: ignore[union-attr]
        return (person.turns, 0 if never else 1, stamp, person.position)

    return sorted(on_duty, key=key)


def next_up(on_duty: list[OnDuty]) -> OnDuty | None:
    """The salesperson the rotation proposes, or None when everyone on duty is busy (or
    nobody is on duty)."""
    for person in ranking(on_duty):
        if not person.busy:
            return person
    return None


def passed_over(on_duty: list[OnDuty], chosen_id: int) -> list[OnDuty]:
    """Those ranked before the chosen salesperson: each is recorded as a skip (busy, or the
    greeter's override)."""
    out = []
    for person in ranking(on_duty):
        if person.user_id == chosen_id:
            return out
        out.append(person)
    return out

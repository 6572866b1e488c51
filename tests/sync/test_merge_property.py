"""A Hypothesis state machine over the sync merge: random batches, replays, reorders,
dropped responses and database failures. Whatever happens, once the tablet's outbox has
drained: nothing lost, nothing duplicated, nothing unexpected.

- attempted: distinct entries the tablet made;
- acknowledged: entries the tablet saw an applied/duplicate/conflict answer for;
- lost: entries made whose effect is not on the server after the final drain (a fact row by
  its entry id; a card edit's value neither on the card nor kept in a conflict row);
- duplicated: more than one row or receipt for one entry;
- unexpected: rows the tablet never sent, rejections of valid entries, unknown statuses.
"""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.sync import support as s
from tests.sync.test_faults import Outage
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.sync.models import SyncConflict, SyncReceipt
from webapp.testdrive.models import TestDriveEntry

OK = {"applied", "duplicate", "conflict"}
TOTALS: Counter = Counter()


def test_merge_state_machine_loses_and_duplicates_nothing(app, world, make_card):
    TOTALS.clear()
    owner = world.users["salesperson"]
    clients = {}
    for device in ("tab-1", "tab-2"):
        clients[device] = app.test_client()
        clients[device].login("sales")
    db.session.commit()

    class SyncMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            card = make_card(owner)
            self.packet = s.make_packet(owner, card)
            self.card_id = card.id
            self.seq = Counter()
            self.outbox: dict[str, list[dict]] = {"tab-1": [], "tab-2": []}
            self.made: dict[str, dict] = {}
            self.acked: set[str] = set()
            self.notes: list[str] = []
            self.rejected = 0
            self.odd_status = 0
            self.card_seen = {"usage": card.usage, "grade": card.grade}
            self.card_version = card.version

        def _add(self, device: str, entry: dict) -> None:
            self.outbox[device].append(entry)
            self.made[entry["id"]] = {**entry, "device": device}

        def _next(self, device: str) -> int:
            self.seq[device] += 1
            return self.seq[device]

        @rule(
            device=st.sampled_from(["tab-1", "tab-2"]),
            key=st.sampled_from(["process", "controls"]),
            value=st.booleans(),
        )
        def tick(self, device: str, key: str, value: bool) -> None:
            self._add(device, s.tick(self.packet, self._next(device), key, value))

        # Text a person can type: no control characters (those are refused, see the fuzz test).
        @rule(
            device=st.sampled_from(["tab-1", "tab-2"]),
            text=st.text(
                st.characters(
                    blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"
                ),
                min_size=1,
                max_size=30,
            ),
        )
        def note(self, device: str, text: str) -> None:
            entry = s.note(self.packet, self._next(device), text)
            self.notes.append(entry["id"])
            self._add(device, entry)

        @precondition(lambda self: self.notes)
        @rule(device=st.sampled_from(["tab-1", "tab-2"]), data=st.data())
        def revise(self, device: str, data: st.DataObject) -> None:
            target = data.draw(st.sampled_from(self.notes))
            self._add(device, s.note(self.packet, self._next(device), "改", revises=target))

        @rule(
            device=st.sampled_from(["tab-1", "tab-2"]),
            grade=st.sampled_from("HABC"),
            usage=st.sampled_from(["上班", "接孩子", "自驾游"]),
        )
        def edit_card(self, device: str, grade: str, usage: str) -> None:
            # Each tablet edits from the last state it saw: the two may collide.
            entry = s.card_update(
                self.card_id,
                self.card_version,
                {"grade": grade, "usage": usage},
                dict(self.card_seen),
                self._next(device),
            )
            self._add(device, entry)

        @precondition(lambda self: any(self.outbox.values()) or self.acked)
        @rule(
            device=st.sampled_from(["tab-1", "tab-2"]),
            data=st.data(),
            fault=st.sampled_from(["none", "none", "drop_response", "db_down", "db_mid"]),
        )
        def push(self, device: str, data: st.DataObject, fault: str) -> None:
            pending = list(self.outbox[device])
            replays = [self.made[i] for i in sorted(self.acked) if self.made[i]["device"] == device]
            if not pending and not replays:
                return
            chosen = data.draw(
                st.lists(
                    st.sampled_from(pending + replays), max_size=12, unique_by=lambda e: e["id"]
                )
            )
            if not chosen:
                return
            chosen = data.draw(st.permutations(chosen))
            batch = [{k: v for k, v in e.items() if k != "device"} for e in chosen]
            outage = None
            if fault == "db_down":
                outage = Outage()
            elif fault == "db_mid":
                table = data.draw(st.sampled_from(["test_drive_entry", "sync_receipt"]))
                outage = Outage(table, after=data.draw(st.integers(0, 3)))
            if outage:
                sa.event.listen(db.engine, "before_cursor_execute", outage)
            try:
                response = s.push(clients[device], batch, device=device)
            finally:
                if outage:
                    sa.event.remove(db.engine, "before_cursor_execute", outage)
            if fault == "drop_response" or response.status_code != 200:
                assert response.status_code in (200, 503), response.get_data(as_text=True)
                return
            self._absorb(device, response.get_json()["results"])

        def _absorb(self, device: str, results: list[dict]) -> None:
            for result in results:
                status = result["status"]
                if status in OK:
                    self.acked.add(result["id"])
                    self.outbox[device] = [
                        e for e in self.outbox[device] if e["id"] != result["id"]
                    ]
                    card = result.get("result") or {}
                    if "version" in card and card.get("card_id") == self.card_id:
                        self.card_version = card["version"]
                        fresh = db.session.get(CustomerCard, self.card_id)
                        db.session.refresh(fresh)
                        self.card_seen = {"usage": fresh.usage, "grade": fresh.grade}
                        self.card_version = fresh.version
                elif status == "rejected":
                    self.rejected += 1
                elif status != "waiting":
                    self.odd_status += 1

        def teardown(self) -> None:
            if not hasattr(self, "made"):
                return
            # Back in the showroom: the outbox drains (revisions may need two rounds).
            for _round in range(6):
                for device in ("tab-1", "tab-2"):
                    while self.outbox[device]:
                        before = len(self.outbox[device])
                        batch = [
                            {k: v for k, v in e.items() if k != "device"}
                            for e in self.outbox[device][:50]
                        ]
                        response = s.push(clients[device], batch, device=device)
                        assert response.status_code == 200
                        self._absorb(device, response.get_json()["results"])
                        if len(self.outbox[device]) == before:
                            break
            db.session.expire_all()
            ids = set(self.made)
            facts = Counter(
                db.session.scalars(
                    sa.select(TestDriveEntry.entry_uuid).where(
                        TestDriveEntry.booking_id == self.packet.booking.id
                    )
                )
            )
            receipt_rows = (
                list(
                    db.session.scalars(sa.select(SyncReceipt).where(SyncReceipt.entry_id.in_(ids)))
                )
                if ids
                else []
            )
            receipts = Counter(r.entry_id for r in receipt_rows)
            stored = {r.entry_id: r.result for r in receipt_rows}
            kept = {
                (c.entry_id, c.field)
                for c in db.session.scalars(
                    sa.select(SyncConflict).where(SyncConflict.record_id == self.card_id)
                )
            }
            lost = 0
            for entry_id, entry in self.made.items():
                if entry["kind"] != "card.update":
                    lost += facts[entry_id] == 0
                    continue
                if receipts[entry_id] == 0:
                    lost += 1
                    continue
                merged = stored[entry_id]["result"]
                for field in entry["payload"]["fields"]:
                    # Applied, already so, or kept next to the card as a conflict.
                    if not (
                        field in merged["applied"]
                        or field in merged["unchanged"]
                        or (entry_id, field) in kept
                    ):
                        lost += 1
            duplicated = sum(n - 1 for n in facts.values() if n > 1) + sum(
                n - 1 for n in receipts.values() if n > 1
            )
            unexpected = (
                sum(1 for entry_id in facts if entry_id not in ids)
                + self.rejected
                + self.odd_status
            )
            TOTALS.update(
                attempted=len(ids),
                acknowledged=len(self.acked & ids),
                lost=lost,
                duplicated=duplicated,
                unexpected=unexpected,
            )
            assert sum(1 for e in self.outbox.values() for _ in e) == 0, self.outbox
            assert lost == 0 and duplicated == 0 and unexpected == 0

    run_state_machine_as_test(
        SyncMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=False,
        ),
    )
    print(
        "\nsync state machine: attempted={attempted} acknowledged={acknowledged} "
        "lost={lost} duplicated={duplicated} unexpected={unexpected}".format(
            **{
                k: TOTALS[k]
                for k in ("attempted", "acknowledged", "lost", "duplicated", "unexpected")
            }
        )
    )
    assert TOTALS["attempted"] > 0
    assert TOTALS["lost"] == TOTALS["duplicated"] == TOTALS["unexpected"] == 0

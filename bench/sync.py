"""Sync benchmark: the outbox's traffic through gunicorn on loopback, SQLite and PostgreSQL.

    .venv/bin/python bench/sync.py                      # both databases
    .venv/bin/python bench/sync.py --only sqlite --entries 1000 --photos 100

For each database it makes a fresh schema with one store, a salesperson and today's test
drives, starts gunicorn (bench/load.py's helpers), logs in, and then
1. pushes `--entries` packet entries without blobs (ticks, notes, feedback) in batches of 50;
2. for `--photos` licence checks: uploads a ~300 KB JPEG (`PUT /sync/blobs/<sha256>`: hash,
   re-encode, watermark, AES-GCM, atomic write) and pushes the licence entry.
It prints entries/s, p50/p95 per batch or upload, the total server time (the sum of the
`Server-Timing` the sync views report) and the workers' RSS before, during and after: memory
must not grow with the number of batches. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import (
    PASSWORD,
    Session,
    free_port,
    memory_mb,
    start_gunicorn,
    worker_pids,
)

PG_SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = "bench_sync"
VALID_ID = "11010519491231002X"


@dataclass
class Figures:
    """Latencies (s) and server times (ms) of one phase."""

    name: str
    latencies: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    items: int = 0

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

    def line(self) -> str:
        wall = sum(self.latencies)
        server = sum(self.server_ms) / 1000
        return (
            f"  {self.name:<34} {self.items:>5} items  {self.items / wall:8.1f}/s (wall)  "
            f"{self.items / server if server else 0:8.1f}/s (server)  "
            f"p50 {self.pct(0.5):7.1f} ms  p95 {self.pct(0.95):7.1f} ms  "
            f"server total {server:6.2f} s"
        )


def pg_url() -> str:
    """A fresh bench_sync database on the local PostgreSQL."""
    engine = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {PG_DB}"))
    engine.dispose()
    return PG_SERVER.rsplit("/", 1)[0] + f"/{PG_DB}"


def prepare(url: str, bookings: int) -> dict:
    """Schema, a store, a salesperson with the bench password, cards and today's bookings."""
    from webapp import create_app
    from webapp.auth.models import Role, User, UserRole
    from webapp.auth.passwords import hash_password
    from webapp.catalog.models import VehicleModel
    from webapp.customers.models import CustomerCard
    from webapp.extensions import db
    from webapp.org.models import Store
    from webapp.testdrive.models import (
        ChecklistTemplate,
        TestDriveBooking,
        TestDriveCar,
        TestDriveRoute,
    )
    from webapp.timeutil import local_today, now

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ENV_NAME": "development"})
    with app.app_context():
        db.create_all()
        store = Store(code="BS1", name="压测店", city="天津")
        db.session.add(store)
        db.session.flush()
        user = User(
            username="bench-sync-sales",
            display_name="压测销售",
            password_hash=hash_password(PASSWORD),
            store_id=store.id,
        )
        user.role_rows = [UserRole(role=Role.SALESPERSON.value)]
        model = VehicleModel(code="BENCH", name_zh="卡罗拉", name_en="Corolla")
        db.session.add_all([user, model])
        db.session.flush()
        predrive = ChecklistTemplate(
            kind="predrive",
            version=1,
            items=[{"key": f"k{i}", "label_zh": "项", "type": "tick"} for i in range(10)],
        )
        feedback = ChecklistTemplate(
            kind="feedback",
            version=1,
            items=[{"key": k, "type": "score"} for k in ("power", "comfort", "overall")]
            + [{"key": "likes", "type": "text"}],
        )
        route = TestDriveRoute(store_id=store.id, name="标准路线")
        db.session.add_all([predrive, feedback, route])
        db.session.flush()
        ids = []
        for n in range(bookings):
            card = CustomerCard(
                store_id=store.id,
                owner_id=user.id,
                name=f"客户{n}",
                title="mr",
                mobile=f"139{n:08d}",
                source="walk_in",
            )
            car = TestDriveCar(
                store_id=store.id,
                plate=f"津B{n:05d}",
                model_id=model.id,
                vin=f"BENCH{n:012d}",
                insurance_expires=local_today() + timedelta(days=300),
                registration_expires=local_today() + timedelta(days=300),
            )
            db.session.add_all([card, car])
            db.session.flush()
            start = now() + timedelta(minutes=30 * n)
            booking = TestDriveBooking(
                store_id=store.id,
                card_id=card.id,
                owner_id=user.id,
                driver_id=user.id,
                car_id=car.id,
                route_id=route.id,
                starts_at=start,
                ends_at=start + timedelta(minutes=25),
            )
            db.session.add(booking)
            db.session.flush()
            ids.append(booking.id)
        db.session.commit()
        out = {"bookings": ids, "predrive": predrive.id, "feedback": feedback.id}
        db.engine.dispose()
    return out


def entry(kind: str, payload: dict, seq: int) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "seq": seq,
        "kind": kind,
        "created_at": "2026-11-27T10:00:00+08:00",
        "payload": payload,
    }


def packet_entries(fx: dict, count: int, rng: random.Random) -> list[dict]:
    """Ticks, notes and the odd feedback form, spread over the bookings."""
    out = []
    for seq in range(1, count + 1):
        booking = rng.choice(fx["bookings"])
        roll = rng.random()
        if roll < 0.7:
            out.append(
                entry(
                    "testdrive.tick",
                    {
                        "booking_id": booking,
                        "template_id": fx["predrive"],
                        "item_key": f"k{rng.randrange(10)}",
                        "value": rng.random() < 0.9,
                    },
                    seq,
                )
            )
        elif roll < 0.95:
            out.append(
                entry(
                    "testdrive.note",
                    {
                        "booking_id": booking,
                        "field": "remark",
                        "text": "客户关注油耗和后排空间" * rng.randrange(1, 4),
                        "revises": None,
                    },
                    seq,
                )
            )
        else:
            out.append(
                entry(
                    "testdrive.feedback",
                    {
                        "booking_id": booking,
                        "template_id": fx["feedback"],
                        "answers": {"power": 4, "comfort": 5, "overall": 4, "likes": "安静"},
                        "intention": "一周内",
                        "grade": rng.choice("HAB"),
                    },
                    seq,
                )
            )
    return out


def photo(n: int) -> bytes:
    """A distinct ~300 KB camera-like JPEG (noise over a gradient)."""
    from PIL import Image

    w, h = 1280, 960
    noise = Image.effect_noise((w, h), 30 + n % 7).convert("L")
    gradient = Image.linear_gradient("L").resize((w, h))
    image = Image.merge("RGB", (noise, gradient, noise.rotate(180)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=78)
    return out.getvalue()


def send(session: Session, method: str, path: str, body: bytes, ctype: str):
    conn = http.client.HTTPConnection("127.0.0.1", session.port, timeout=120)
    started = time.perf_counter()
    conn.request(
        method,
        path,
        body=body,
        headers={
            "Content-Type": ctype,
            "Cookie": session.cookie,
            "X-CSRFToken": session.token,
            "Connection": "close",
        },
    )
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    timing = response.getheader("Server-Timing") or "app;dur=0"
    server_ms = float(timing.split("dur=")[1])
    conn.close()
    return response.status, data, elapsed, server_ms


def cpu_seconds(master: int) -> float:
    """User + system CPU time of the workers so far (less sensitive to a busy machine than
    wall-clock server time)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in worker_pids(master):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def rss(master: int) -> float:
    return sum(memory_mb(pid)[0] for pid in worker_pids(master))


def run(label: str, url: str, args: argparse.Namespace) -> list[str]:
    fx = prepare(url, bookings=20)
    port = free_port()
    proc = start_gunicorn(url, port, args.workers)
    lines = [f"{label}: gunicorn {args.workers} sync workers on 127.0.0.1:{port}"]
    try:
        session = Session(port, "bench-sync-sales")
        session.login()
        rng = random.Random(7)
        # Warm up each worker (imports, first connection), not measured.
        for _ in range(args.workers * 2):
            send(session, "GET", "/sync/pull", b"", "application/json")
        memory = [("start", rss(proc.pid))]

        cpu_start = cpu_seconds(proc.pid)
        entries = Figures("push, 50 entries per batch")
        batch_entries = packet_entries(fx, args.entries, rng)
        for n in range(0, len(batch_entries), 50):
            batch = batch_entries[n : n + 50]
            body = json.dumps({"device": "bench-tablet", "entries": batch}).encode()
            status, data, elapsed, server_ms = send(
                session, "POST", "/sync/push", body, "application/json"
            )
            assert status == 200, (status, data[:300])
            statuses = {r["status"] for r in json.loads(data)["results"]}
            assert statuses == {"applied"}, statuses
            entries.latencies.append(elapsed)
            entries.server_ms.append(server_ms)
            entries.items += len(batch)
            if (n // 50 + 1) % 5 == 0:
                memory.append((f"after {n // 50 + 1} batches", rss(proc.pid)))

        cpu_entries = cpu_seconds(proc.pid) - cpu_start
        # Consent once per booking (not measured), then the photos.
        consents = [
            entry(
                "testdrive.consent",
                {
                    "booking_id": b,
                    "purpose": "licence_copy",
                    "notice_version": "v1",
                    "agreed": True,
                },
                100_000 + i,
            )
            for i, b in enumerate(fx["bookings"])
        ]
        body = json.dumps({"device": "bench-tablet", "entries": consents}).encode()
        assert send(session, "POST", "/sync/push", body, "application/json")[0] == 200

        cpu_start = cpu_seconds(proc.pid)
        uploads = Figures("PUT blob (~300 KB JPEG)")
        licences = Figures("push licence entry (1 per request)")
        sizes = []
        for n in range(args.photos):
            data = photo(n)
            sizes.append(len(data))
            digest = hashlib.sha256(data).hexdigest()
            status, answer, elapsed, server_ms = send(
                session, "PUT", f"/sync/blobs/{digest}?purpose=licence", data, "image/jpeg"
            )
            assert status == 201, (status, answer[:300])
            uploads.latencies.append(elapsed)
            uploads.server_ms.append(server_ms)
            uploads.items += 1
            licence = entry(
                "testdrive.licence",
                {
                    "booking_id": fx["bookings"][n % len(fx["bookings"])],
                    "id_number": VALID_ID,
                    "licence_class": "C1",
                    "expires_on": "2030-01-01",
                    "photo_sha256": digest,
                },
                200_000 + n,
            )
            body = json.dumps({"device": "bench-tablet", "entries": [licence]}).encode()
            status, answer, elapsed, server_ms = send(
                session, "POST", "/sync/push", body, "application/json"
            )
            assert status == 200 and json.loads(answer)["results"][0]["status"] == "applied"
            licences.latencies.append(elapsed)
            licences.server_ms.append(server_ms)
            licences.items += 1
            if (n + 1) % 25 == 0:
                memory.append((f"after {n + 1} photos", rss(proc.pid)))

        cpu_photos = cpu_seconds(proc.pid) - cpu_start
        lines.append(entries.line())
        lines.append(uploads.line())
        lines.append(licences.line())
        photo_server = (sum(uploads.server_ms) + sum(licences.server_ms)) / 1000
        lines.append(
            f"  {args.entries} entries: server time {sum(entries.server_ms) / 1000:.2f} s "
            f"(target ≤ 1 s); {args.photos} photos (mean {statistics.mean(sizes) / 1024:.0f} KB): "
            f"server time {photo_server:.2f} s (target ≤ 10 s)"
        )
        lines.append(
            f"  workers' CPU time (user+sys): {args.entries} entries {cpu_entries:.2f} s, "
            f"{args.photos} photos {cpu_photos:.2f} s; load average before the run "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        lines.append(
            "  workers' RSS (MB, sum): " + ", ".join(f"{name} {mb:.1f}" for name, mb in memory)
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="Sync benchmark (push and blobs).")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    out: list[str] = []
    if args.only in (None, "sqlite"):
        path = Path(tempfile.mkdtemp(prefix="bench-sync-")) / "sync.sqlite3"
        out += run("SQLite", f"sqlite:///{path}", args)
    if args.only in (None, "postgresql"):
        out += run("PostgreSQL", pg_url(), args)
    print("\n".join(out))


if __name__ == "__main__":
    main()

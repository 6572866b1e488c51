"""Sync benchmark: the outbox's traffic through gunicorn on loopback, side by side with the
peer a team would pick instead (PouchDB replicating to express-pouchdb), in one run.

    .venv/bin/python bench/sync.py                      # peer, SQLite, peer, PostgreSQL, peer
    .venv/bin/python bench/sync.py --only sqlite --entries 1000 --photos 100
    .venv/bin/python bench/sync.py --check              # exit 1 when a target is missed

For each database it makes a fresh schema with one store, a salesperson and today's test
drives, starts gunicorn (bench/load.py's helpers), logs in, and drives the requests the
tablet's outbox makes (webapp/static/js/outbox.js), timed by the client's wall clock:
1. small: `--entries` packet entries (ticks, notes, feedback forms) in batches of the
   server's limit (SYNC_MAX_ENTRIES), one after another;
2. photos: `--photos` licence copies of ~300 KB, `PUT /sync/blobs/<sha256>` (hash check,
   re-encode, EXIF dropped, AES-GCM, atomic write), as many at once as the outbox sends, then
   their licence entries in batches (the booking's consent went before, untimed);
3. resync: `GET /sync/pull` with the last checkpoint (the outbox itself sends nothing when it
   holds nothing);
4. replay: every entry of 1 and 2 sent again, as by a tablet that lost its acknowledgements;
   each is answered `duplicate` from its receipt and nothing is written. The photos are not
   uploaded again (a blob the server took is marked on the tablet).
The peer (../shared/peers/pouchdb/run.sh, 3 repeats, same counts and doc sizes) runs before,
between and after, so drift shows; the ratios use the median of its runs. Each gunicorn
worker's RSS is read after every few batches, and its peak (VmHWM) at the end.
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
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
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


ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT.parent / "shared" / "peers" / "pouchdb" / "run.sh"
# Targets, as ratios to the peer in the same run.
TARGETS = {
    "small": ("docs/s ÷ peer's", ">=", 1.0),
    "photos": ("wall ÷ peer's", "<=", 3.0),
    "resync": ("wall ÷ peer's", "<=", 1.0),
    "replay": ("wall ÷ peer's", "<=", 1.0),
}
RSS_LIMIT_MB = 150
RSS_GROWTH_MB = 5  # from the end of the first repeat to the end of the last


@dataclass
class Phase:
    """One timed phase: the client's wall time, its requests and the server's time."""

    name: str
    items: int = 0
    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)
    server_ms: float = 0.0

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


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
    """User + system CPU time of the workers so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in worker_pids(master):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def worker_rss(master: int) -> list[float]:
    """Each worker's RSS (MB), by pid."""
    return [memory_mb(pid)[0] for pid in sorted(worker_pids(master))]


def push_batches(
    session: Session,
    phase: Phase,
    entries: list[dict],
    batch: int,
    expect: str,
    memory: list | None = None,
    master: int = 0,
    device: str = "bench-tablet",
) -> None:
    """POST the entries in batches, one after another; every answer must be `expect`."""
    started = time.perf_counter()
    for n in range(0, len(entries), batch):
        part = entries[n : n + batch]
        body = json.dumps({"device": device, "entries": part}).encode()
        status, data, elapsed, server_ms = send(
            session, "POST", "/sync/push", body, "application/json"
        )
        assert status == 200, (status, data[:300])
        statuses = {r["status"] for r in json.loads(data)["results"]}
        assert statuses == {expect}, statuses
        phase.latencies.append(elapsed)
        phase.server_ms += server_ms
        phase.items += len(part)
        if memory is not None and (n // batch + 1) % 2 == 0:
            memory.append((f"{phase.name} {n // batch + 1}", worker_rss(master)))
    phase.wall += time.perf_counter() - started


def put_blob(session: Session, data: bytes) -> tuple[float, float]:
    digest = hashlib.sha256(data).hexdigest()
    status, answer, elapsed, server_ms = send(
        session, "PUT", f"/sync/blobs/{digest}?purpose=licence", data, "image/jpeg"
    )
    assert status == 201, (status, answer[:300])
    return elapsed, server_ms


def run(label: str, url: str, args: argparse.Namespace) -> dict:
    """Our phases on one database, `--repeats` times on the same server (each repeat a new
    tablet: its own device id, entries and photos); the phases' medians."""
    from webapp.config import Config

    batch = args.batch or Config.SYNC_MAX_ENTRIES
    fx = prepare(url, bookings=20)
    port = free_port()
    proc = start_gunicorn(url, port, args.workers, {"SQL_COUNT_HEADER": "0"})
    out: dict = {"label": label, "batch": batch, "workers": args.workers}
    try:
        session = Session(port, "bench-sync-sales")
        session.login()
        rng = random.Random(7)
        # Warm up each worker as a running server is (imports, connection, the statements of
        # a push): a pull and a small push each, not measured.
        for n in range(args.workers * 2):
            send(session, "GET", "/sync/pull", b"", "application/json")
            warm = Phase("warm-up")
            push_batches(
                session, warm, packet_entries(fx, 5, rng), batch, "applied", device=f"w{n}"
            )
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
        push_batches(session, Phase("consents"), consents, batch, "applied")
        memory: list = [("start", worker_rss(proc.pid))]
        repeats: list[dict[str, Phase]] = []
        cpu = {"small": 0.0, "photos": 0.0}
        sizes: list[int] = []
        for r in range(args.repeats):
            device = f"bench-tablet-{r + 1}"
            started_cpu = cpu_seconds(proc.pid)
            small = Phase("small")
            small_entries = packet_entries(fx, args.entries, rng)
            push_batches(session, small, small_entries, batch, "applied", memory, proc.pid, device)
            cpu["small"] += cpu_seconds(proc.pid) - started_cpu

            images = [photo(r * args.photos + n) for n in range(args.photos)]
            sizes += [len(d) for d in images]
            licences = [
                entry(
                    "testdrive.licence",
                    {
                        "booking_id": fx["bookings"][n % len(fx["bookings"])],
                        "id_number": VALID_ID,
                        "licence_class": "C1",
                        "expires_on": "2030-01-01",
                        "photo_sha256": hashlib.sha256(data).hexdigest(),
                    },
                    200_000 + n,
                )
                for n, data in enumerate(images)
            ]
            started_cpu = cpu_seconds(proc.pid)
            photos = Phase("photos")
            started = time.perf_counter()
            with ThreadPoolExecutor(args.blob_parallel) as pool:
                for elapsed, server_ms in pool.map(lambda d: put_blob(session, d), images):
                    photos.latencies.append(elapsed)
                    photos.server_ms += server_ms
            photos.wall = time.perf_counter() - started
            memory.append((f"photos {r + 1}", worker_rss(proc.pid)))
            push_batches(session, photos, licences, batch, "applied", device=device)
            photos.items = len(images)
            cpu["photos"] += cpu_seconds(proc.pid) - started_cpu

            status, data, _elapsed, _ms = send(
                session, "GET", "/sync/pull", b"", "application/json"
            )
            assert status == 200
            checkpoint = json.loads(data)["checkpoint"]
            resync = Phase("resync")
            for _ in range(3):
                started = time.perf_counter()
                status, data, elapsed, server_ms = send(
                    session, "GET", f"/sync/pull?checkpoint={checkpoint}", b"", "application/json"
                )
                assert status == 200
                resync.latencies.append(time.perf_counter() - started)
                resync.server_ms += server_ms
            resync.wall = statistics.median(resync.latencies)
            resync.items = len(small_entries) + len(licences)

            replay = Phase("replay")
            push_batches(
                session,
                replay,
                small_entries + licences,
                batch,
                "duplicate",
                memory,
                proc.pid,
                device,
            )
            repeats.append({p.name: p for p in (small, photos, resync, replay)})
            if r == 0:  # every path has run once: from here on memory must stay flat
                out["after_first"] = worker_rss(proc.pid)
        memory.append(("end", worker_rss(proc.pid)))
        out["peak_mb"] = [memory_mb(pid)[1] for pid in sorted(worker_pids(proc.pid))]
        out["phases"] = {name: _median(repeats, name) for name in repeats[0]}
        out["walls"] = {name: [rep[name].wall for rep in repeats] for name in repeats[0]}
        out["memory"] = memory
        out["cpu_small"] = cpu["small"] / args.repeats
        out["cpu_photos"] = cpu["photos"] / args.repeats
        out["photo_kb"] = statistics.mean(sizes) / 1024
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return out


def _median(repeats: list[dict[str, Phase]], name: str) -> Phase:
    """The repeat whose wall time is the median of this phase's."""
    ordered = sorted((rep[name] for rep in repeats), key=lambda p: p.wall)
    return ordered[len(ordered) // 2]


def run_peer(args: argparse.Namespace) -> dict:
    """One run of the peer harness (its last line is JSON): median seconds per phase."""
    env = {
        **os.environ,
        "REPEATS": str(args.peer_repeats),
        "SMALL_DOCS": str(args.entries),
        "PHOTO_DOCS": str(args.photos),
    }
    done = subprocess.run(
        [str(PEER)], env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the peer failed ({done.returncode}):\n{done.stderr[-2000:]}")
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    phases = summary["phases"]
    return {
        "small": phases["small"]["median_s"],
        "photos": phases["photos"]["median_s"],
        "resync": phases["resync"]["median_s"],
        "replay": phases["replay"]["median_s"],
        "rss": max(summary["server_peak_rss_mb"]),
        "versions": summary["versions"],
    }


def ratios(ours: dict, peer: dict, entries: int) -> dict[str, float]:
    """Our figure ÷ the peer's, per phase (docs/s for small, wall time for the others)."""
    ph = ours["phases"]
    return {
        "small": (entries / ph["small"].wall) / (entries / peer["small"]),
        "photos": ph["photos"].wall / peer["photos"],
        "resync": ph["resync"].wall / peer["resync"],
        "replay": ph["replay"].wall / peer["replay"],
    }


def meets(name: str, value: float) -> bool:
    _what, op, target = TARGETS[name]
    return value >= target if op == ">=" else value <= target


def report(peers: list[dict], runs: list[dict], args: argparse.Namespace) -> tuple[str, bool]:
    """The side-by-side table and the memory lines; whether every target holds."""
    peer = {k: statistics.median(p[k] for p in peers) for k in TARGETS}
    lines = [
        f"peer: PouchDB {peers[0]['versions']['pouchdb-node']} → express-pouchdb "
        f"{peers[0]['versions']['express-pouchdb']}, {len(peers)} runs of "
        f"{args.peer_repeats} repeats; medians per run: "
        + "; ".join(
            f"small {p['small']:.3f} s, photos {p['photos']:.3f} s, resync "
            f"{p['resync'] * 1000:.1f} ms, replay {p['replay']:.3f} s"
            for p in peers
        ),
        "",
    ]
    header = (
        "| phase | PouchDB | "
        + " | ".join(f"this app, {r['label']} | ratio" for r in runs)
        + " | target |"
    )
    lines += [header, "|" + "---|" * (2 + 2 * len(runs) + 1)]
    all_ok = True
    n_small, n_photos = args.entries, args.photos
    n_all = n_small + n_photos
    rows = [
        ("small", f"{n_small:,} entries", lambda s: f"{s:.2f} s ({n_small / s:,.0f}/s)"),
        ("photos", f"{n_photos} photos + licence entries", lambda s: f"{s:.2f} s"),
        ("resync", "resync, nothing new", lambda s: f"{s * 1000:.1f} ms"),
        ("replay", f"replay of all {n_all:,}", lambda s: f"{s:.2f} s"),
    ]
    for key, title, fmt in rows:
        cells = [title, fmt(peer[key])]
        for r in runs:
            value = ratios(r, peer, n_small)[key]
            ok = meets(key, value)
            all_ok &= ok
            cells += [fmt(r["phases"][key].wall), f"**{value:.2f}×**" + ("" if ok else " ✗")]
        what, op, target = TARGETS[key]
        cells.append(f"{what} {op.replace('>=', '≥').replace('<=', '≤')} {target}")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for r in runs:
        ph = r["phases"]
        lines.append(
            f"{r['label']}: batches of {r['batch']}, {r['workers']} workers; small: p50 "
            f"{ph['small'].p(0.5):.1f} ms p95 {ph['small'].p(0.95):.1f} ms per batch, server "
            f"{ph['small'].server_ms / 1000:.2f} s, workers' CPU {r['cpu_small']:.2f} s; photos "
            f"(mean {r['photo_kb']:.0f} KB, {args.blob_parallel} at once): PUT p50 "
            f"{ph['photos'].p(0.5):.1f} ms, workers' CPU {r['cpu_photos']:.2f} s "
            f"({r['cpu_photos'] / max(1, n_photos) * 1000:.1f} ms per photo); replay p50 "
            f"{ph['replay'].p(0.5):.1f} ms per batch"
        )
        series = [mb for _name, mbs in r["memory"] for mb in mbs]
        peak = max(r["peak_mb"])
        growth = _growth(r)
        rss_ok = peak <= RSS_LIMIT_MB and growth <= RSS_GROWTH_MB
        all_ok &= rss_ok

        def mbs(values: list[float]) -> str:
            return "/".join(f"{mb:.0f}" for mb in values)

        lines.append(
            f"  workers' RSS (MB): start {mbs(r['memory'][0][1])}, after the first repeat "
            f"{mbs(r['after_first'])}, end {mbs(r['memory'][-1][1])}, most seen "
            f"{max(series):.0f} ({len(series) // len(r['peak_mb'])} readings); peak (VmHWM) "
            f"{mbs(r['peak_mb'])}; growth after the first repeat {growth:.1f} MB (target ≤ "
            f"{RSS_LIMIT_MB} MB, ≤ {RSS_GROWTH_MB} MB growth)" + ("" if rss_ok else " ✗")
        )
    lines.append(f"peer server's peak RSS: {max(p['rss'] for p in peers):.0f} MB")
    lines.append(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
        + ("every target met" if all_ok else "✗ marks a missed target")
    )
    return "\n".join(lines), all_ok


def _growth(run: dict) -> float:
    """The most any worker's RSS grew from the end of the first repeat (every path has run
    once, the photo decoder's buffers included) to the end of the last."""
    end = run["memory"][-1][1]
    return max(last - first for first, last in zip(run["after_first"], end, strict=False))


def main() -> None:
    parser = argparse.ArgumentParser(description="Sync benchmark, side by side with PouchDB.")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, help="entries per request (the server's limit)")
    parser.add_argument("--blob-parallel", type=int, default=2, help="uploads at once")
    parser.add_argument("--repeats", type=int, default=3, help="our repeats (median)")
    parser.add_argument("--peer-repeats", type=int, default=3)
    parser.add_argument("--no-peer", action="store_true", help="skip the peer (no ratios)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    targets = [("SQLite", None), ("PostgreSQL", None)]
    if args.only == "sqlite":
        targets = targets[:1]
    elif args.only == "postgresql":
        targets = targets[1:]
    peers: list[dict] = []
    runs: list[dict] = []
    if not args.no_peer:
        peers.append(run_peer(args))
    for label, _ in targets:
        if label == "SQLite":
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-sync-')) / 'sync.sqlite3'}"
        else:
            url = pg_url()
        runs.append(run(label, url, args))
        if not args.no_peer:
            peers.append(run_peer(args))
    if not peers:
        for r in runs:
            ph = r["phases"]
            print(
                f"{r['label']}: small {ph['small'].wall:.2f} s, photos {ph['photos'].wall:.2f} s, "
                f"resync {ph['resync'].wall * 1000:.1f} ms, replay {ph['replay'].wall:.2f} s"
            )
        return
    text, ok = report(peers, runs, args)
    print(text)
    if args.check and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()

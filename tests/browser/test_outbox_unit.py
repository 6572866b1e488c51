"""The tablet's outbox (static/js/outbox.js) against every answer the server can give.

The outbox runs in headless Chromium on a bare page that loads only the vendored idb and
outbox.js; every request the page makes is routed to files on disk, and `window.fetch` is a
stub that hands each request of the outbox to the test (`Server`), which records it and says
what the server answers: a status, headers and a body, or a network error.

Timers are the page's own fakes (`setTimeout` queues its callbacks): the outbox never starts
a pass by itself, so each test decides when a pass runs. `Tablet.flush()` runs one pass and
fires whatever the pass waits on at once (the pauses between sends of a failing batch take
no time); `Tablet.scheduled_pass()` runs the pass the outbox scheduled (its backoff), which
is how the outbox sends again what waited.

The states are the outbox's own: `local` (on the tablet, to be sent), `attention` (set aside
or refused: the page shows 需要处理), `synced`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "webapp" / "static"
# Loopback is a secure context (crypto.subtle, crypto.randomUUID). Nothing listens here:
# every request of the page is routed.
ORIGIN = "http://127.0.0.1:47613"
CSRF = "csrf-token-of-this-page"
USER = 7
PROBE = "/sync/blobs/" + "0" * 64
# What base.html puts in <meta name="outbox-sensitive"> (the sync registry's sensitive fields).
SENSITIVE = ["id_number"]
HTML_PAGE = "<!doctype html><title>Server Error</title><h1>Internal Server Error</h1>"

# Fake timers, the fetch stub and a log of the outbox's events; loaded before outbox.js.
HARNESS = """
(function () {
  "use strict";
  var realSetTimeout = window.setTimeout.bind(window);
  var timers = [];
  var nextTimer = 1;
  window.setTimeout = function (fn, delay) {
    var id = nextTimer++;
    timers.push({ id: id, fn: fn, delay: delay || 0 });
    return id;
  };
  window.clearTimeout = function (id) {
    timers = timers.filter(function (t) { return t.id !== id; });
  };
  window.__timers = function () { return timers.map(function (t) { return t.delay; }); };
  window.__fireTimer = function () {
    var t = timers.shift();
    if (t) t.fn();
    return !!t;
  };
  /* Run start() to the end, firing every timer it waits on (a pause) as soon as it is set. */
  window.__drive = function (start) {
    return new Promise(function (resolve, reject) {
      var done = false, value, error, spins = 0;
      Promise.resolve().then(start).then(
        function (v) { done = true; value = v; },
        function (e) { done = true; error = e || "rejected"; });
      (function spin() {
        if (done) return error ? reject(error) : resolve(value);
        if (++spins > 5000) return reject(new Error("the pass did not end"));
        window.__fireTimer();
        realSetTimeout(spin, 0);
      })();
    });
  };
  window.fetch = function (url, init) {
    init = init || {};
    var req = {
      method: init.method || "GET", url: String(url), headers: init.headers || {},
      entries: null, device: null, bytes: null,
    };
    if (typeof init.body === "string") {
      var body = JSON.parse(init.body);
      req.entries = body.entries;
      req.device = body.device;
    } else if (init.body) {
      req.bytes = init.body.byteLength;
    }
    // A step of the test run while this request is on its way (once), e.g. a new entry.
    var meanwhile = window.__whileSending;
    window.__whileSending = null;
    return Promise.resolve(meanwhile && meanwhile(req)).then(function () {
      return window.__answer(req);
    }).then(function (a) {
      if (a.network) throw new TypeError("Failed to fetch");
      var body = req.method === "HEAD" ? null : a.body;
      return new Response(body, { status: a.status, headers: a.headers });
    });
  };
  window.__events = [];
})();
"""

PAGE = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="csrf-token" content="{CSRF}">
<meta name="outbox-sensitive" content="{" ".join(SENSITIVE)}">
<title>outbox</title></head><body>
<script>{HARNESS}</script>
<script src="/static/vendor/idb-8.0.4.umd.js"></script>
<script src="/static/js/outbox.js"></script>
<script>
Outbox.setUser({USER});
Outbox.onChange(function (c) {{
  window.__events.push({{
    id: c.id || null, state: c.state || null, reason: c.reason || "",
    auth: !!c.auth, flushed: !!c.flushed,
  }});
}});
</script>
</body></html>
"""

Answer = dict[str, Any]
NETWORK_ERROR: Answer = {"network": True}


def json_answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    return {
        "status": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
    }


def html_answer(status: int) -> Answer:
    return {"status": status, "headers": {"Content-Type": "text/html"}, "body": HTML_PAGE}


def results(request: dict[str, Any], **status_of: str | dict[str, Any]) -> Answer:
    """200 with one result per entry: `applied`, unless status_of[entry id] says otherwise
    (a status word, or the whole result without its id)."""
    out = []
    for entry in request["entries"]:
        answer = status_of.get(entry["id"], "applied")
        if isinstance(answer, str):
            answer = {"status": answer}
        out.append({"id": entry["id"], **answer})
    return json_answer(200, {"results": out, "checkpoint": "c1"})


def working(request: dict[str, Any]) -> Answer:
    """A server that takes everything: blobs 201, entries applied, the probe 404."""
    if request["method"] == "HEAD":
        return {"status": 404, "headers": {}, "body": None}
    if request["method"] == "PUT":
        return json_answer(201, {"sha256": request["url"].split("/")[-1].split("?")[0]})
    return results(request)


def fails_on(poison: str, answer: Answer) -> Callable[[dict[str, Any]], Answer]:
    """A server that answers `answer` to every batch holding `poison`, and works otherwise."""

    def server(request: dict[str, Any]) -> Answer:
        if request["entries"] and poison in ids(request):
            return answer
        return working(request)

    return server


def ids(request: dict[str, Any]) -> list[str]:
    return [e["id"] for e in request["entries"]]


@dataclass
class Server:
    """Answers the outbox's requests with `answer` (the test swaps it) and records them."""

    answer: Callable[[dict[str, Any]], Answer] = working
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: dict[str, Any]) -> Answer:
        self.requests.append(request)
        return self.answer(request)

    def sent(self) -> list[tuple[str, ...] | list[str]]:
        """Each request in order: the entry ids of a push, (method, path) of anything else."""
        return [
            ids(r) if r["entries"] is not None else (r["method"], r["url"].split("?")[0])
            for r in self.requests
        ]

    def pushes(self) -> list[list[str]]:
        return [ids(r) for r in self.requests if r["entries"] is not None]

    def forget(self) -> None:
        self.requests.clear()


@dataclass
class Tablet:
    """The page with the outbox, and the stubbed server behind its fetch."""

    page: Any
    server: Server

    def enqueue(
        self, kind: str, payload: dict[str, Any], blob: dict[str, str] | None = None
    ) -> str:
        """Add an entry through Outbox.enqueue; blob: {text, mime, purpose}, its bytes the text."""
        blobs = []
        if blob:
            blobs = [{**blob, "sha256": sha256(blob["text"])}]
        return self.page.evaluate(
            """([kind, payload, blobs]) => Outbox.enqueue(kind, payload, blobs.map(b => ({
                 sha256: b.sha256, bytes: new TextEncoder().encode(b.text).buffer,
                 mime: b.mime, purpose: b.purpose,
               }))).then(e => e.id)""",
            [kind, payload, blobs],
        )

    def while_sending(self, step: str) -> None:
        """Run `step` (a JS function of the request) while the next request is on its way."""
        self.page.evaluate(f"() => {{ window.__whileSending = {step}; }}")

    def flush(self) -> dict[str, Any]:
        return self.page.evaluate("() => __drive(() => Outbox.flush())")

    def pending_passes(self) -> list[int]:
        """The delays of the passes the outbox scheduled (its backoff), not yet run."""
        return self.page.evaluate("() => __timers()")

    def scheduled_pass(self) -> dict[str, Any]:
        """Run the pass the outbox scheduled itself: what "the next flush" is on a tablet."""
        assert self.pending_passes(), "the outbox scheduled no pass"
        return self.page.evaluate("() => __drive(() => { __fireTimer(); return Outbox.flush(); })")

    def retry(self) -> dict[str, Any]:
        """The person presses 立即同步 "Sync now"."""
        return self.page.evaluate("() => __drive(() => { Outbox.retry(); return Outbox.flush(); })")

    def status(self, entry_id: str) -> str | None:
        return self.page.evaluate("id => Outbox.status(id)", entry_id)

    def statuses(self, *entry_ids: str) -> list[str | None]:
        return [self.status(i) for i in entry_ids]

    def counts(self) -> dict[str, int]:
        return self.page.evaluate("() => Outbox.counts()")

    def reason(self, entry_id: str) -> str:
        """The reason kept with an entry (set aside, or refused by the server)."""
        return self.page.evaluate(
            "id => Outbox.list().then(all => (all.find(e => e.id === id) || {}).reason || '')",
            entry_id,
        )

    def has_blob(self, text: str) -> bool:
        return self.page.evaluate("sha => Outbox.getBlob(sha).then(b => !!b)", sha256(text))

    def events(self) -> list[dict[str, Any]]:
        return self.page.evaluate("() => __events")

    def states_emitted(self, entry_id: str) -> list[tuple[str, str]]:
        return [(e["state"], e["reason"]) for e in self.events() if e["id"] == entry_id]

    def attention_events(self) -> list[dict[str, Any]]:
        return [e for e in self.events() if e["state"] == "attention"]

    def auth_needed(self) -> bool:
        return self.page.evaluate("() => Outbox.authNeeded")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _serve(route: Any) -> None:
    path = route.request.url[len(ORIGIN) :].split("?")[0]
    if path == "/outbox":
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=PAGE)
    elif path.startswith("/static/") and (STATIC / path[len("/static/") :]).is_file():
        route.fulfill(path=str(STATIC / path[len("/static/") :]))
    else:
        route.fulfill(status=404, body="")


@pytest.fixture
def tablet(browser: Any) -> Iterator[Tablet]:
    context = browser.new_context(base_url=ORIGIN, service_workers="block")
    context.set_default_timeout(15_000)
    context.route(f"{ORIGIN}/**", _serve)
    page = context.new_page()
    server = Server()
    page.expose_function("__answer", server)
    page.goto("/outbox")
    assert page.evaluate("() => Outbox.supported()")
    yield Tablet(page, server)
    context.close()


def tick(key: str, booking: int = 1) -> dict[str, Any]:
    return {"booking_id": booking, "template_id": 3, "item_key": key, "value": True}


def note(text: str, revises: str | None = None) -> dict[str, Any]:
    return {"booking_id": 1, "field": "remark", "text": text, "revises": revises}


PHOTO = {"text": "licence photo bytes", "mime": "image/jpeg", "purpose": "licence"}
SIGNATURE = {"text": "signature bytes", "mime": "image/png", "purpose": "signature"}


def licence(booking: int = 1) -> dict[str, Any]:
    return {
        "booking_id": booking,
        "id_number": "11010519491231002X",
        "licence_class": "C1",
        "expires_on": "2031-06-30",
        "photo_sha256": sha256(PHOTO["text"]),
    }


def consent(booking: int = 1) -> dict[str, Any]:
    return {
        "booking_id": booking,
        "purpose": "licence_copy",
        "notice_version": "2025-1",
        "agreed": True,
    }


def signature() -> dict[str, Any]:
    return {
        "booking_id": 1,
        "document": "safety_agreement",
        "document_version": "2025-1",
        "signature_sha256": sha256(SIGNATURE["text"]),
    }


# ---- 200, one result per entry ----


def test_applied_duplicate_and_conflict_answers_take_the_entries_out_of_the_outbox(
    tablet: Tablet,
) -> None:
    a = tablet.enqueue("testdrive.tick", tick("a"))
    b = tablet.enqueue("testdrive.tick", tick("b"))
    c = tablet.enqueue("card.update", {"card_id": 5, "base_version": 1, "fields": {"grade": "H"}})
    tablet.server.answer = lambda r: results(
        r, **{b: "duplicate", c: {"status": "conflict", "server": {"grade": "A"}}}
    )

    assert tablet.flush() == {"auth": False, "error": None}

    assert tablet.statuses(a, b, c) == ["synced"] * 3
    assert tablet.counts() == {"local": 0, "attention": 0}
    for entry in (a, b, c):
        assert tablet.states_emitted(entry) == [("local", ""), ("synced", "")]
    (request,) = tablet.server.requests
    assert (request["method"], request["url"]) == ("POST", "/sync/push")
    assert request["headers"]["X-CSRFToken"] == CSRF
    assert ids(request) == [a, b, c]
    assert [e["seq"] for e in request["entries"]] == [1, 2, 3]
    assert {e["device"] for e in request["entries"]} == {request["device"]}
    # Only the entry goes on the wire, never the tablet's bookkeeping (state, user, blobs).
    assert {tuple(sorted(e)) for e in request["entries"]} == {
        ("created_at", "device", "id", "kind", "payload", "seq")
    }
    assert tablet.pending_passes() == []


def test_an_acknowledged_licence_check_keeps_only_the_last_4_of_the_id_number(
    tablet: Tablet,
) -> None:
    check = tablet.enqueue("testdrive.licence", licence(), PHOTO)

    tablet.flush()

    assert tablet.status(check) == "synced"
    (kept,) = tablet.page.evaluate("() => Outbox.list()")
    assert "id_number" not in kept["payload"]
    assert kept["payload"]["last4"] == "002X"
    assert "11010519491231002X" not in json.dumps(kept)


def test_a_rejected_entry_leaves_the_outbox_as_attention_with_the_servers_reason(
    tablet: Tablet,
) -> None:
    ok = tablet.enqueue("testdrive.tick", tick("a"))
    refused = tablet.enqueue("testdrive.licence", licence(), PHOTO)
    tablet.server.answer = lambda r: (
        results(r, **{refused: {"status": "rejected", "reason": "no_consent", "quarantine_id": 4}})
        if r["entries"]
        else working(r)
    )

    tablet.flush()

    assert tablet.statuses(ok, refused) == ["synced", "attention"]
    assert tablet.reason(refused) == "no_consent"
    assert tablet.states_emitted(refused)[-1] == ("attention", "no_consent")
    # The server keeps it in its quarantine: the tablet holds nothing more of it.
    assert tablet.counts() == {"local": 0, "attention": 0}
    assert not tablet.has_blob(PHOTO["text"])
    assert tablet.server.sent() == [("PUT", "/sync/blobs/" + sha256(PHOTO["text"])), [ok, refused]]


def test_an_entry_waiting_for_a_missing_blob_uploads_the_blob_again_on_the_next_pass(
    tablet: Tablet,
) -> None:
    photo_url = ("PUT", "/sync/blobs/" + sha256(PHOTO["text"]))
    entry = tablet.enqueue("testdrive.licence", licence(), PHOTO)
    tablet.server.answer = lambda r: (
        results(r, **{entry: {"status": "waiting", "missing": [sha256(PHOTO["text"])]}})
        if r["entries"]
        else working(r)
    )

    tablet.flush()

    assert tablet.server.sent() == [photo_url, [entry]]
    assert tablet.status(entry) == "local"
    assert tablet.counts() == {"local": 1, "attention": 0}
    assert tablet.has_blob(PHOTO["text"])
    assert tablet.attention_events() == []

    tablet.server.forget()
    tablet.server.answer = working
    tablet.scheduled_pass()

    assert tablet.server.sent() == [photo_url, [entry]]
    assert tablet.status(entry) == "synced"
    assert not tablet.has_blob(PHOTO["text"])


def test_an_entry_waiting_for_another_entry_stays_and_goes_again_on_the_next_pass(
    tablet: Tablet,
) -> None:
    revision = tablet.enqueue("testdrive.note", note("下周再来", revises="made-on-another-tablet"))
    tablet.server.answer = lambda r: results(
        r, **{revision: {"status": "waiting", "waiting_for": "made-on-another-tablet"}}
    )

    tablet.flush()

    assert tablet.status(revision) == "local"
    assert tablet.counts() == {"local": 1, "attention": 0}
    assert tablet.attention_events() == []

    tablet.server.forget()
    tablet.server.answer = working
    tablet.scheduled_pass()

    assert tablet.server.pushes() == [[revision]]
    assert tablet.status(revision) == "synced"


def test_a_revision_waiting_for_an_entry_set_aside_here_is_set_aside_with_it(
    tablet: Tablet,
) -> None:
    first = tablet.enqueue("testdrive.note", note("下周带家人再来"))
    revision = tablet.enqueue("testdrive.note", note("下周带家人和朋友再来", revises=first))

    def server(r: dict[str, Any]) -> Answer:
        if r["entries"] and first in ids(r):
            return json_answer(500, {"error": "server", "message": "服务器错误"})
        if r["entries"]:
            return results(r, **{revision: {"status": "waiting", "waiting_for": first}})
        return working(r)

    tablet.server.answer = server

    tablet.flush()

    assert tablet.statuses(first, revision) == ["attention", "attention"]
    assert [tablet.reason(first), tablet.reason(revision)] == ["server", "depends"]
    assert tablet.counts() == {"local": 0, "attention": 2}
    assert tablet.server.sent() == [
        [first, revision],
        [first, revision],
        [first],
        [first],
        ("HEAD", PROBE),
        [revision],
    ]


# ---- a batch the server fails on: retried, then split ----


def test_a_batch_refused_as_id_reused_is_split_until_the_reused_entry_is_set_aside_alone(
    tablet: Tablet,
) -> None:
    a, b, reused, d = (tablet.enqueue("testdrive.tick", tick(k)) for k in "abcd")
    refusal = json_answer(409, {"error": "id_reused", "ids": [reused], "message": "编号重复"})
    tablet.server.answer = fails_on(reused, refusal)

    assert tablet.flush() == {"auth": False, "error": None}

    assert tablet.server.sent() == [
        [a, b, reused, d],
        [a, b, reused, d],
        [a, b],
        [reused, d],
        [reused, d],
        [reused],
        [reused],
        [d],
    ]
    assert tablet.statuses(a, b, reused, d) == ["synced", "synced", "attention", "synced"]
    assert tablet.reason(reused) == "id_reused"
    assert tablet.counts() == {"local": 0, "attention": 1}
    assert [(e["id"], e["reason"]) for e in tablet.attention_events()] == [(reused, "id_reused")]


def test_a_batch_refused_as_invalid_is_split_until_the_bad_entry_is_set_aside_alone(
    tablet: Tablet,
) -> None:
    bad, b, c = (tablet.enqueue("testdrive.tick", tick(k)) for k in "abc")
    refusal = json_answer(422, {"error": "invalid", "errors": {}, "message": "格式错误"})
    tablet.server.answer = fails_on(bad, refusal)

    tablet.flush()

    # Nothing was answered before the bad entry stood alone: the probe shows the server works.
    assert tablet.server.sent() == [
        [bad, b, c],
        [bad, b, c],
        [bad, b],
        [bad, b],
        [bad],
        [bad],
        ("HEAD", PROBE),
        [b],
        [c],
    ]
    assert tablet.statuses(bad, b, c) == ["attention", "synced", "synced"]
    assert tablet.reason(bad) == "invalid"
    assert tablet.counts() == {"local": 0, "attention": 1}


def test_a_200_with_an_html_page_is_a_server_failure_retried_then_split(tablet: Tablet) -> None:
    poison = tablet.enqueue("testdrive.note", note("下周带家人再来"))
    other = tablet.enqueue("testdrive.tick", tick("a"))
    tablet.server.answer = fails_on(poison, html_answer(200))

    tablet.flush()

    assert tablet.server.sent() == [
        [poison, other],
        [poison, other],
        [poison],
        [poison],
        ("HEAD", PROBE),
        [other],
    ]
    assert tablet.statuses(poison, other) == ["attention", "synced"]
    assert tablet.reason(poison) == "server_error"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"checkpoint": "c1"}, id="no-results"),
        pytest.param({"results": "applied"}, id="results-not-a-list"),
        pytest.param("only-the-others", id="a-result-missing"),
        pytest.param("unknown-status", id="a-status-it-does-not-know"),
    ],
)
def test_a_200_without_a_known_result_per_entry_is_a_server_failure_retried_then_split(
    tablet: Tablet, body: Any
) -> None:
    other = tablet.enqueue("testdrive.tick", tick("a"))
    poison = tablet.enqueue("testdrive.tick", tick("b"))

    def server(r: dict[str, Any]) -> Answer:
        if not r["entries"] or poison not in ids(r):
            return working(r)
        if body == "only-the-others":
            rest = [{"id": i, "status": "applied"} for i in ids(r) if i != poison]
            return json_answer(200, {"results": rest})
        if body == "unknown-status":
            return results(r, **{poison: "ok"})
        return json_answer(200, body)

    tablet.server.answer = server

    tablet.flush()

    assert tablet.server.sent() == [[other, poison], [other, poison], [other], [poison], [poison]]
    assert tablet.statuses(other, poison) == ["synced", "attention"]
    assert tablet.reason(poison) == "server_error"
    assert tablet.counts() == {"local": 0, "attention": 1}


def test_a_lone_failing_entry_is_not_set_aside_while_the_server_probe_fails(
    tablet: Tablet,
) -> None:
    entry = tablet.enqueue("testdrive.tick", tick("a"))
    # A proxy answering 502 for everything: the server is down, not this entry's fault.
    tablet.server.answer = lambda r: html_answer(502)

    assert tablet.flush() == {"auth": False, "error": 502}

    assert tablet.server.sent() == [[entry], [entry], ("HEAD", PROBE)]
    assert tablet.status(entry) == "local"
    assert tablet.attention_events() == []
    assert tablet.pending_passes()


def test_a_licence_check_is_set_aside_with_its_bookings_consent(tablet: Tablet) -> None:
    agreed = tablet.enqueue("testdrive.consent", consent())
    check = tablet.enqueue("testdrive.licence", licence(), PHOTO)
    other = tablet.enqueue("testdrive.tick", tick("a"))
    tablet.server.answer = fails_on(agreed, json_answer(500, {"error": "server"}))

    tablet.flush()

    assert tablet.server.sent() == [
        ("PUT", "/sync/blobs/" + sha256(PHOTO["text"])),
        [agreed, check, other],
        [agreed, check, other],
        [agreed, check],
        [agreed, check],
        [agreed],
        [agreed],
        [other],
    ]
    assert tablet.statuses(agreed, check, other) == ["attention", "attention", "synced"]
    assert [tablet.reason(agreed), tablet.reason(check)] == ["server", "depends"]


def test_sync_now_sends_each_set_aside_entry_alone_after_the_others(tablet: Tablet) -> None:
    poison = tablet.enqueue("testdrive.note", note("下周带家人再来"))
    first = tablet.enqueue("testdrive.tick", tick("a"))
    tablet.server.answer = fails_on(poison, html_answer(500))
    tablet.flush()
    assert tablet.statuses(poison, first) == ["attention", "synced"]
    later = tablet.enqueue("testdrive.tick", tick("b"))
    tablet.server.forget()
    tablet.server.answer = working

    tablet.retry()

    assert tablet.server.pushes() == [[later], [poison]]
    assert tablet.statuses(poison, later) == ["synced", "synced"]
    assert tablet.counts() == {"local": 0, "attention": 0}


# ---- blobs the server refuses for good ----


def test_a_blob_too_large_sets_its_entry_aside_at_once_and_the_others_sync(
    tablet: Tablet,
) -> None:
    before = tablet.enqueue("testdrive.tick", tick("a"))
    check = tablet.enqueue("testdrive.licence", licence(), PHOTO)
    after = tablet.enqueue("testdrive.tick", tick("b"))

    def server(r: dict[str, Any]) -> Answer:
        if r["method"] == "PUT":
            return json_answer(413, {"error": "too_large", "message": "太大"})
        return working(r)

    tablet.server.answer = server

    tablet.flush()

    assert tablet.server.sent() == [
        ("PUT", "/sync/blobs/" + sha256(PHOTO["text"])),
        [before, after],
    ]
    assert tablet.statuses(before, check, after) == ["synced", "attention", "synced"]
    assert tablet.reason(check) == "blob_too_large"
    assert tablet.counts() == {"local": 0, "attention": 1}
    assert tablet.has_blob(PHOTO["text"])  # kept on the tablet with its entry


def test_a_blob_held_elsewhere_sets_its_entry_aside_at_once_and_the_others_sync(
    tablet: Tablet,
) -> None:
    signed = tablet.enqueue("testdrive.signature", signature(), SIGNATURE)
    other = tablet.enqueue("testdrive.tick", tick("a"))

    def server(r: dict[str, Any]) -> Answer:
        if r["method"] == "PUT":
            return json_answer(409, {"error": "held_elsewhere", "message": "别处已有"})
        return working(r)

    tablet.server.answer = server

    tablet.flush()

    assert tablet.server.sent() == [
        ("PUT", "/sync/blobs/" + sha256(SIGNATURE["text"])),
        [other],
    ]
    assert tablet.statuses(signed, other) == ["attention", "synced"]
    assert tablet.reason(signed) == "blob_held_elsewhere"
    assert tablet.has_blob(SIGNATURE["text"])


# ---- wait, never drop ----


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(json_answer(408, {"error": "timeout"}), id="408"),
        pytest.param(json_answer(429, {"error": "busy"}, {"Retry-After": "5"}), id="429"),
        pytest.param(json_answer(503, {"error": "unavailable"}, {"Retry-After": "30"}), id="503"),
        pytest.param(json_answer(507, {"error": "disk_full"}), id="507"),
    ],
)
def test_a_server_asking_to_come_back_later_keeps_the_batch_whole_for_the_next_pass(
    tablet: Tablet, answer: Answer
) -> None:
    batch = [tablet.enqueue("testdrive.tick", tick(k)) for k in "abc"]
    tablet.server.answer = lambda r: answer if r["entries"] else working(r)

    assert tablet.flush() == {"auth": False, "error": answer["status"]}

    assert tablet.server.sent() == [batch]  # not sent again in the pass, not split
    assert tablet.statuses(*batch) == ["local"] * 3
    assert tablet.counts() == {"local": 3, "attention": 0}
    assert tablet.attention_events() == []

    tablet.server.forget()
    tablet.server.answer = working
    tablet.scheduled_pass()

    assert tablet.server.sent() == [batch]
    assert tablet.statuses(*batch) == ["synced"] * 3


def test_a_blob_upload_answered_429_makes_the_whole_pass_wait(tablet: Tablet) -> None:
    check = tablet.enqueue("testdrive.licence", licence(), PHOTO)
    other = tablet.enqueue("testdrive.tick", tick("a"))
    busy = json_answer(429, {"error": "busy"}, {"Retry-After": "2"})
    tablet.server.answer = lambda r: busy if r["method"] == "PUT" else working(r)

    assert tablet.flush() == {"auth": False, "error": 429}

    assert tablet.server.sent() == [("PUT", "/sync/blobs/" + sha256(PHOTO["text"]))]
    assert tablet.statuses(check, other) == ["local", "local"]
    assert tablet.attention_events() == []

    tablet.server.forget()
    tablet.server.answer = working
    tablet.scheduled_pass()

    assert tablet.server.sent() == [("PUT", "/sync/blobs/" + sha256(PHOTO["text"])), [check, other]]
    assert tablet.statuses(check, other) == ["synced", "synced"]


@pytest.mark.parametrize("failing", ["PUT", "POST"])
def test_a_network_error_loses_nothing_and_sets_nothing_aside(tablet: Tablet, failing: str) -> None:
    check = tablet.enqueue("testdrive.licence", licence(), PHOTO)
    other = tablet.enqueue("testdrive.tick", tick("a"))
    tablet.server.answer = lambda r: NETWORK_ERROR if r["method"] == failing else working(r)

    assert tablet.flush() == {"auth": False, "error": "network"}

    assert tablet.server.sent()[-1] == (
        ("PUT", "/sync/blobs/" + sha256(PHOTO["text"])) if failing == "PUT" else [check, other]
    )
    assert len(tablet.server.sent()) == (1 if failing == "PUT" else 2)
    assert tablet.statuses(check, other) == ["local", "local"]
    assert tablet.counts() == {"local": 2, "attention": 0}
    assert tablet.attention_events() == []
    assert tablet.has_blob(PHOTO["text"])

    tablet.server.forget()
    tablet.server.answer = working
    tablet.scheduled_pass()

    assert tablet.server.pushes() == [[check, other]]
    assert tablet.statuses(check, other) == ["synced", "synced"]


@pytest.mark.parametrize(
    ("method", "answer"),
    [
        pytest.param("POST", json_answer(401, {"error": "login"}), id="push-401"),
        pytest.param("POST", json_answer(400, {"error": "csrf"}), id="push-400-csrf"),
        pytest.param("PUT", json_answer(400, {"error": "csrf"}), id="blob-400-csrf"),
    ],
)
def test_an_expired_session_or_token_keeps_everything_and_asks_to_log_in_again(
    tablet: Tablet, method: str, answer: Answer
) -> None:
    check = tablet.enqueue("testdrive.licence", licence(), PHOTO)
    other = tablet.enqueue("testdrive.tick", tick("a"))
    tablet.server.answer = lambda r: answer if r["method"] == method else working(r)

    assert tablet.flush() == {"auth": True, "error": None}

    assert {"id": None, "state": None, "reason": "", "auth": True, "flushed": False} in (
        tablet.events()
    )
    assert tablet.auth_needed()
    assert tablet.statuses(check, other) == ["local", "local"]
    assert tablet.counts() == {"local": 2, "attention": 0}
    assert tablet.attention_events() == []
    # This page sends nothing more (its token is stale) and schedules nothing.
    sent = len(tablet.server.requests)
    assert tablet.flush() == {"auth": True, "error": None}
    assert len(tablet.server.requests) == sent
    assert tablet.pending_passes() == []

    # The next page (after logging in again) sends everything.
    tablet.server.forget()
    tablet.server.answer = working
    tablet.page.reload()
    assert tablet.flush() == {"auth": False, "error": None}
    assert tablet.server.pushes() == [[check, other]]
    assert tablet.statuses(check, other) == ["synced", "synced"]


def test_a_400_that_is_not_a_csrf_refusal_is_a_failure_of_the_batch(tablet: Tablet) -> None:
    poison = tablet.enqueue("testdrive.tick", tick("a"))
    other = tablet.enqueue("testdrive.tick", tick("b"))
    tablet.server.answer = fails_on(poison, json_answer(400, {"error": "bad_request"}))

    tablet.flush()

    assert not tablet.auth_needed()
    assert tablet.statuses(poison, other) == ["attention", "synced"]
    assert tablet.reason(poison) == "bad_request"


# ---- known gaps ----

LATE_TICK = """req => Outbox.enqueue("testdrive.tick",
  {booking_id: 1, template_id: 3, item_key: "late", value: true})
  .then(e => { window.__late = e.id; })"""


def test_an_entry_saved_while_a_pass_is_sending_is_sent_without_another_trigger(
    tablet: Tablet,
) -> None:
    first = tablet.enqueue("testdrive.tick", tick("a"))
    tablet.while_sending(LATE_TICK)

    tablet.flush()
    for _ in range(5):
        if not tablet.pending_passes():
            break
        tablet.scheduled_pass()

    late = tablet.page.evaluate("() => window.__late")
    assert tablet.status(first) == "synced"
    assert tablet.status(late) == "synced"


def test_sync_now_pressed_while_a_pass_is_sending_sends_the_set_aside_entries(
    tablet: Tablet,
) -> None:
    poison = tablet.enqueue("testdrive.note", note("下周带家人再来"))
    tablet.server.answer = fails_on(poison, html_answer(500))
    tablet.flush()
    assert tablet.status(poison) == "attention"
    other = tablet.enqueue("testdrive.tick", tick("a"))
    tablet.server.answer = working
    tablet.while_sending("req => { Outbox.retry(); }")

    tablet.flush()
    for _ in range(5):
        if not tablet.pending_passes():
            break
        tablet.scheduled_pass()

    assert tablet.status(other) == "synced"
    assert tablet.status(poison) == "synced"

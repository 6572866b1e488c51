"""Page weight: what a tablet downloads on the first visit of each page, cold cache.

    .venv/bin/python bench/weight.py --serve                         # own gunicorn, demo SQLite
    .venv/bin/python bench/weight.py --serve --install-lighthouse    # + Lighthouse scores
    .venv/bin/python bench/weight.py --base-url http://127.0.0.1:5000 --json bench/out/weight.json
    .venv/bin/python bench/weight.py --serve --database-url postgresql+psycopg://... \
        --user s0001 --password bench-password-2026 --manager-user m0001 ...

Each page is loaded in headless Chromium (the Debian `chromium`, tablet viewport 1024×768) in a
fresh browser context: empty HTTP cache, service workers blocked, only the session cookie of a
login made through the real login form. The devtools protocol counts every request and the
bytes transferred (compressed, response headers included), split into JS, CSS and images;
the time is `loadEventEnd` of the navigation (the median of --runs loads). The htmx fragment
responses are fetched with a plain HTTP client (Accept-Encoding: br, gzip) and reported
compressed and uncompressed. 1 KB = 1000 bytes, as Chrome's devtools count.

Targets: first load of any page ≤ 150 KB in total and ≤ 40 KB of JS; an htmx
fragment ≤ 15 KB; Lighthouse (mobile emulation) performance, accessibility and best
practices ≥ 95 each. Missed targets are reported, never fatal: the exit code is 0 unless
the measurement itself could not run.

Lighthouse runs when it is installed: `bench/node_modules/.bin/lighthouse`, or anything
`npx --no-install lighthouse` finds from bench/. `--install-lighthouse` installs it first
(`npm install --no-save --no-audit --no-fund lighthouse@12.2.3` in bench/, which needs the npm
registry; bench/node_modules is gitignored). Chromium is passed to it as CHROME_PATH.

--serve starts `gunicorn -w 2` on a free port of 127.0.0.1 and stops it at the end. Without
--database-url it prepares a temporary SQLite file (`flask db upgrade` + `flask seed-demo`);
a given --database-url must already hold the data (e.g. from bench/generate.py) and users
matching --user / --manager-user.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import brotli
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
LIGHTHOUSE_PACKAGE = "lighthouse@12.2.3"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET = {"width": 1024, "height": 768}
KB = 1000

PAGE_TOTAL_TARGET = 150 * KB
PAGE_JS_TARGET = 40 * KB
FRAGMENT_TARGET = 15 * KB
LIGHTHOUSE_TARGET = 95
LIGHTHOUSE_CATEGORIES = ("performance", "accessibility", "best-practices")

TEXT_COLUMNS = {"page", "path", "fragment", "HX-Target", "encoding", "target verdict"}
CARD_LINK = re.compile(r"^/customers/(\d+)$")


# --------------------------------------------------------------------------- results


@dataclass
class PageWeight:
    name: str
    path: str
    user: str | None
    status: int | None = None
    requests: int = 0
    transferred: int = 0
    js: int = 0
    css: int = 0
    images: int = 0
    document: int = 0
    other: int = 0
    load_ms: list[float] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def load_median_ms(self) -> float | None:
        return statistics.median(self.load_ms) if self.load_ms else None

    def misses(self) -> list[str]:
        missed = []
        if self.status is None or self.status >= 400:
            missed.append(f"status {self.status}")
        if self.transferred > PAGE_TOTAL_TARGET:
            missed.append(f"total > {PAGE_TOTAL_TARGET // KB} KB")
        if self.js > PAGE_JS_TARGET:
            missed.append(f"JS > {PAGE_JS_TARGET // KB} KB")
        return missed


@dataclass
class FragmentWeight:
    name: str
    method: str
    path: str
    target: str
    status: int | None = None
    encoding: str = ""
    compressed: int = 0
    uncompressed: int = 0

    def misses(self) -> list[str]:
        missed = []
        if self.status is None or self.status >= 400:
            missed.append(f"status {self.status}")
        if self.compressed > FRAGMENT_TARGET:
            missed.append(f"> {FRAGMENT_TARGET // KB} KB")
        return missed


@dataclass
class LighthouseResult:
    name: str
    path: str
    scores: dict[str, int | None] = field(default_factory=dict)
    failing: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Report:
    base_url: str
    pages: list[PageWeight] = field(default_factory=list)
    fragments: list[FragmentWeight] = field(default_factory=list)
    lighthouse: list[LighthouseResult] = field(default_factory=list)
    lighthouse_skipped: str | None = None


def out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def log(line: str) -> None:
    sys.stderr.write(f"[weight] {line}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------- server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _venv_bin(name: str) -> str:
    candidate = ROOT / ".venv" / "bin" / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found (expected {candidate})")
    return found


def _wait_for(url: str, timeout: float, process: subprocess.Popen[bytes] | None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise SystemExit(f"the server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
                if response.status < 500:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
            last = exc
        except OSError as exc:
            last = exc
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s: {last}")


@contextmanager
def served_app(database_url: str | None) -> Iterator[str]:
    """gunicorn -w 2 on a free port; a demo SQLite file in a temp dir unless a URL is given."""
    with tempfile.TemporaryDirectory(prefix="weight-") as tmp:
        env = dict(os.environ, FLASK_APP="webapp", INSTANCE_PATH=tmp)
        env.pop("SQL_COUNT_HEADER", None)
        if database_url:
            env["DATABASE_URL"] = database_url
        else:
            env["DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'weight.sqlite3'}"
            flask = _venv_bin("flask")
            log("preparing a demo SQLite database (flask db upgrade, flask seed-demo)")
            for command in (["db", "upgrade"], ["seed-demo"]):
                subprocess.run(
                    [flask, *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
                )
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        log(f"starting gunicorn on {base_url}")
        server_log = Path(tmp) / "gunicorn.log"
        with server_log.open("wb") as log_file:
            process = subprocess.Popen(
                [
                    _venv_bin("gunicorn"),
                    "-w",
                    "2",
                    "-b",
                    f"127.0.0.1:{port}",
                    "webapp:create_app()",
                ],
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            try:
                _wait_for(base_url + "/login", 60, process)
            except SystemExit:
                log("gunicorn log:\n" + server_log.read_text(errors="replace")[-4000:])
                raise
            yield base_url
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


# --------------------------------------------------------------------------- browser


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        raise SystemExit("Chromium not found: install the Debian package `chromium`.")
    return path


def login(browser: Any, base_url: str, username: str, password: str) -> Any:
    """A context logged in through the real login form."""
    context = browser.new_context(
        base_url=base_url, viewport=TABLET, service_workers="block", locale="zh-CN"
    )
    page = context.new_page()
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    if "/login" in urllib.parse.urlparse(page.url).path:
        raise SystemExit(f"login as {username} failed (still on {page.url})")
    page.close()
    return context


def find_card(context: Any) -> tuple[str | None, str | None]:
    """The first card linked from /my-day (else from the card box), and its mobile."""
    page = context.new_page()
    try:
        for path in ("/my-day", "/customers/box"):
            page.goto(path)
            for link in page.query_selector_all("a[href^='/customers/']"):
                href = link.get_attribute("href") or ""
                if CARD_LINK.match(href):
                    mobile = link.query_selector(".mono")
                    return href, (mobile.inner_text().strip() if mobile else None)
    finally:
        page.close()
    return None, None


def find_packet(context: Any) -> str | None:
    """The first test-drive packet linked from /my-day (today's bookings)."""
    page = context.new_page()
    try:
        page.goto("/my-day")
        link = page.query_selector("a[href$='/packet']")
        return link.get_attribute("href") if link else None
    finally:
        page.close()


def csrf_token(context: Any, path: str = "/customers/") -> str:
    """The CSRF token of the session, from <body hx-headers> (or a csrf_token input)."""
    page = context.new_page()
    try:
        page.goto(path)
        raw = page.get_attribute("body", "hx-headers")
        if raw:
            token = json.loads(raw).get("X-CSRFToken")
            if token:
                return str(token)
        return str(page.get_attribute("input[name=csrf_token]", "value") or "")
    finally:
        page.close()


def measure_page(
    browser: Any, base_url: str, path: str, cookies: list[dict]
) -> tuple[int | None, dict[str, Any], float | None]:
    """One cold load in a fresh context: (status, per-request data, loadEventEnd in ms)."""
    context = browser.new_context(
        base_url=base_url, viewport=TABLET, service_workers="block", locale="zh-CN"
    )
    try:
        if cookies:
            context.add_cookies(cookies)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        requests: dict[str, dict[str, Any]] = {}

        def on_request(event: dict[str, Any]) -> None:
            request_id = event["requestId"]
            redirect = event.get("redirectResponse")
            if redirect and request_id in requests:
                # The same requestId continues after a redirect: keep the hop as its own row.
                hop = requests.pop(request_id)
                hop.update(
                    status=redirect.get("status"), bytes=redirect.get("encodedDataLength", 0)
                )
                hop["done"] = True
                requests[f"{request_id}:{len(requests)}"] = hop
            requests[request_id] = {
                "url": event["request"]["url"],
                "type": event.get("type", "Other"),
                "status": None,
                "mime": "",
                "bytes": 0,
                "done": False,
            }

        def on_response(event: dict[str, Any]) -> None:
            entry = requests.setdefault(event["requestId"], {"bytes": 0, "done": False})
            response = event["response"]
            entry.update(
                url=response["url"],
                type=event.get("type", entry.get("type", "Other")),
                status=response.get("status"),
                mime=response.get("mimeType", ""),
            )
            if response.get("fromDiskCache") or response.get("fromServiceWorker"):
                entry["cached"] = True

        def on_finished(event: dict[str, Any]) -> None:
            entry = requests.setdefault(event["requestId"], {"type": "Other", "url": ""})
            entry["bytes"] = int(event.get("encodedDataLength", 0))
            entry["done"] = True

        def on_cached(event: dict[str, Any]) -> None:
            requests.setdefault(event["requestId"], {"type": "Other", "url": ""})["cached"] = True

        def on_failed(event: dict[str, Any]) -> None:
            entry = requests.setdefault(event["requestId"], {"type": "Other", "url": ""})
            entry["failed"] = event.get("errorText", "failed")
            entry["done"] = True

        cdp.on("Network.requestWillBeSent", on_request)
        cdp.on("Network.responseReceived", on_response)
        cdp.on("Network.loadingFinished", on_finished)
        cdp.on("Network.loadingFailed", on_failed)
        cdp.on("Network.requestServedFromCache", on_cached)
        cdp.send("Network.enable")

        response = page.goto(path, wait_until="load")
        status = response.status if response else None
        # A page that keeps polling never goes idle; its load figures still count.
        with suppress(PlaywrightError):
            page.wait_for_load_state("networkidle", timeout=5000)
        load_ms = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " return n ? n.loadEventEnd - n.startTime : null; }"
        )
        # Let the last loadingFinished events arrive.
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and not all(r.get("done") for r in requests.values()):
            page.wait_for_timeout(50)
        cdp.detach()
        return status, requests, (float(load_ms) if load_ms is not None else None)
    finally:
        context.close()


def classify(entry: dict[str, Any]) -> str:
    kind = entry.get("type", "Other")
    mime = entry.get("mime", "")
    if kind == "Script" or "javascript" in mime:
        return "js"
    if kind == "Stylesheet" or mime == "text/css":
        return "css"
    if kind == "Image" or mime.startswith("image/"):
        return "images"
    if kind == "Document":
        return "document"
    return "other"


def weigh_page(
    browser: Any,
    base_url: str,
    name: str,
    path: str,
    user: str | None,
    cookies: list[dict],
    runs: int,
) -> PageWeight:
    result = PageWeight(name=name, path=path, user=user)
    for run in range(runs):
        status, requests, load_ms = measure_page(browser, base_url, path, cookies)
        if load_ms is not None:
            result.load_ms.append(round(load_ms, 1))
        if run:
            continue  # bytes and requests come from the first load; later runs only time it
        result.status = status
        for entry in requests.values():
            if entry.get("url", "").startswith("data:"):
                continue
            size = int(entry.get("bytes", 0))
            if entry.get("cached"):
                # Reused within the same load (the icon as <img> and as favicon): no transfer.
                result.resources.append({"url": entry.get("url", ""), "cached": True})
                continue
            kind = classify(entry)
            result.requests += 1
            result.transferred += size
            setattr(result, kind, getattr(result, kind) + size)
            result.resources.append(
                {
                    "url": entry.get("url", ""),
                    "type": entry.get("type", "Other"),
                    "status": entry.get("status"),
                    "bytes": size,
                    **({"failed": entry["failed"]} if "failed" in entry else {}),
                }
            )
    return result


# --------------------------------------------------------------------------- fragments


def cookie_header(cookies: list[dict]) -> str:
    return "; ".join(f"{c['name']}={c['value']}" for c in cookies)


def decoded_size(body: bytes, encoding: str) -> int:
    if encoding == "br":
        return len(brotli.decompress(body))
    if encoding == "gzip":
        return len(gzip.decompress(body))
    if encoding == "deflate":
        return len(zlib.decompress(body))
    return len(body)


def weigh_fragment(
    base_url: str,
    name: str,
    method: str,
    path: str,
    target: str,
    cookies: list[dict],
    token: str,
    form: dict[str, str] | None = None,
) -> FragmentWeight:
    result = FragmentWeight(name=name, method=method, path=path, target=target)
    headers = {
        "Accept-Encoding": "br, gzip",
        "Cookie": cookie_header(cookies),
        "HX-Request": "true",
        "HX-Target": target,
        "HX-Current-URL": base_url + path,
        "X-CSRFToken": token,
    }
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    url = base_url + path
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - own URL
            body = response.read()
            result.status = response.status
            result.encoding = response.headers.get("Content-Encoding", "") or "identity"
    except urllib.error.HTTPError as exc:
        body = exc.read()
        result.status = exc.code
        result.encoding = exc.headers.get("Content-Encoding", "") or "identity"
    result.compressed = len(body)
    result.uncompressed = decoded_size(body, result.encoding)
    return result


# --------------------------------------------------------------------------- lighthouse


def lighthouse_command() -> list[str] | None:
    local = BENCH / "node_modules" / ".bin" / "lighthouse"
    if local.exists():
        return [str(local)]
    npx = shutil.which("npx")
    if not npx:
        return None
    try:
        probe = subprocess.run(
            [npx, "--no-install", "lighthouse", "--version"],
            cwd=BENCH,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if probe.returncode != 0:
        return None
    return [npx, "--no-install", "lighthouse"]


def install_lighthouse() -> None:
    npm = shutil.which("npm")
    if not npm:
        log("npm not found: cannot install Lighthouse")
        return
    log(f"installing {LIGHTHOUSE_PACKAGE} into bench/node_modules")
    done = subprocess.run(
        [npm, "install", "--no-save", "--no-audit", "--no-fund", LIGHTHOUSE_PACKAGE],
        cwd=BENCH,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    if done.returncode != 0:
        log(f"npm install failed (exit {done.returncode}); Lighthouse may be skipped")


def failing_audits(lhr: dict[str, Any], category: str) -> list[dict[str, Any]]:
    """Audits of a category that lose points (or, for performance, point at savings)."""
    audits = lhr.get("audits", {})
    failing = []
    for ref in lhr["categories"][category].get("auditRefs", []):
        audit = audits.get(ref["id"], {})
        score = audit.get("score")
        mode = audit.get("scoreDisplayMode")
        if score is None or mode in ("notApplicable", "manual", "informative", "error"):
            continue
        if score >= (0.9 if category == "performance" else 1):
            continue
        failing.append(
            {
                "id": ref["id"],
                "title": audit.get("title", ""),
                "score": score,
                "weight": ref.get("weight", 0),
                "display": audit.get("displayValue", ""),
                "items": _audit_items(audit),
            }
        )
    failing.sort(key=lambda a: (-a["weight"], a["score"]))
    return failing


def _audit_items(audit: dict[str, Any], limit: int = 5) -> list[str]:
    """A few offending elements or URLs, so the fix can be found."""
    items = (audit.get("details") or {}).get("items") or []
    found = []
    for item in items[:limit]:
        node = item.get("node") or {}
        label = node.get("selector") or node.get("snippet") or item.get("url") or ""
        explanation = node.get("explanation") or ""
        if explanation:
            explanation = " — " + explanation.splitlines()[-1].strip()
        if label or explanation:
            found.append(f"{label}{explanation}"[:200])
    return found


def run_lighthouse(
    command: list[str], url: str, name: str, path: str, cookies: list[dict], chrome: str
) -> LighthouseResult:
    result = LighthouseResult(name=name, path=path)
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    argv = [
        *command,
        url,
        "--output=json",
        "--output-path=stdout",
        "--quiet",
        f"--only-categories={','.join(LIGHTHOUSE_CATEGORIES)}",
        f"--chrome-flags={flags}",
    ]
    if cookies:
        argv.append("--extra-headers=" + json.dumps({"Cookie": cookie_header(cookies)}))
    env = dict(os.environ, CHROME_PATH=chrome)
    try:
        proc = subprocess.run(
            argv, cwd=BENCH, env=env, capture_output=True, text=True, timeout=300, check=False
        )
    except subprocess.TimeoutExpired:
        result.error = "timed out after 300 s"
        return result
    if proc.returncode != 0 or not proc.stdout.strip():
        result.error = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        return result
    lhr = json.loads(proc.stdout)
    if lhr.get("runtimeError"):
        result.error = lhr["runtimeError"].get("message", "runtime error")
    final = lhr.get("finalDisplayedUrl") or lhr.get("finalUrl") or ""
    if urllib.parse.urlparse(final).path != urllib.parse.urlparse(url).path:
        result.error = f"ended on {final} (session cookie not accepted?)"
    for category in LIGHTHOUSE_CATEGORIES:
        score = lhr["categories"].get(category, {}).get("score")
        result.scores[category] = None if score is None else round(score * 100)
        if score is not None and round(score * 100) < LIGHTHOUSE_TARGET:
            result.failing[category] = failing_audits(lhr, category)
    return result


# --------------------------------------------------------------------------- output


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    right = [i for i, h in enumerate(headers) if h not in TEXT_COLUMNS]

    def line(cells: list[str]) -> str:
        return " | ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(headers), "-+-".join("-" * w for w in widths), *(line(r) for r in rows)]


def kb(size: int) -> str:
    return f"{size / KB:.1f}"


def print_report(report: Report) -> None:
    out(f"Page weight of {report.base_url} — cold cache, tablet 1024×768, 1 KB = 1000 bytes")
    out(
        f"targets: first load ≤ {PAGE_TOTAL_TARGET // KB} KB transferred, JS ≤ "
        f"{PAGE_JS_TARGET // KB} KB; fragment ≤ {FRAGMENT_TARGET // KB} KB; "
        f"Lighthouse ≥ {LIGHTHOUSE_TARGET}"
    )
    out()
    rows = []
    for p in report.pages:
        load = p.load_median_ms
        misses = p.misses()
        rows.append(
            [
                p.name,
                p.path,
                str(p.requests),
                kb(p.transferred),
                kb(p.js),
                kb(p.css),
                kb(p.images),
                kb(p.document),
                "-" if load is None else f"{load:.0f}",
                "ok" if not misses else "MISSED: " + ", ".join(misses),
            ]
        )
    headers = ["page", "path", "requests", "transferred KB", "JS KB", "CSS KB", "img KB"]
    headers += ["HTML KB", "load ms", "target verdict"]
    for line in table(headers, rows):
        out(line)
    out()
    rows = []
    for f in report.fragments:
        misses = f.misses()
        rows.append(
            [
                f.name,
                f"{f.method} {f.path}",
                f.target,
                str(f.status),
                f.encoding,
                kb(f.compressed),
                kb(f.uncompressed),
                "ok" if not misses else "MISSED: " + ", ".join(misses),
            ]
        )
    headers = ["fragment", "path", "HX-Target", "status", "encoding"]
    headers += ["compressed KB", "uncompressed KB", "target verdict"]
    for line in table(headers, rows):
        out(line)
    out()
    if report.lighthouse_skipped:
        out(f"Lighthouse: skipped — {report.lighthouse_skipped}")
        return
    out("Lighthouse (mobile emulation, simulated throttling)")
    rows = []
    for r in report.lighthouse:
        scores = [
            "-" if r.scores.get(c) is None else str(r.scores[c]) for c in LIGHTHOUSE_CATEGORIES
        ]
        below = [c for c in LIGHTHOUSE_CATEGORIES if (r.scores.get(c) or 0) < LIGHTHOUSE_TARGET]
        verdict = "ok" if not below and not r.error else "MISSED: " + ", ".join(below)
        if r.error:
            verdict = "ERROR (below)"
        rows.append([r.name, r.path, *scores, verdict])
    for line in table(["page", "path", *LIGHTHOUSE_CATEGORIES, "target verdict"], rows):
        out(line)
    for r in report.lighthouse:
        if r.error:
            out()
            out(f"{r.name} ({r.path}) — Lighthouse error: {r.error}")
        for category, audits in r.failing.items():
            out()
            out(f"{r.name} ({r.path}) — {category} {r.scores.get(category)}, losing points on:")
            if not audits:
                out("  (no single audit below its threshold: the weighted metrics add up)")
            for audit in audits:
                display = f" [{audit['display']}]" if audit["display"] else ""
                out(f"  {audit['id']}: {audit['title']}{display} (score {audit['score']:.2f})")
                for item in audit["items"]:
                    out(f"      {item}")


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5000", help="a running server")
    parser.add_argument("--serve", action="store_true", help="start gunicorn -w 2 for the run")
    parser.add_argument(
        "--database-url", help="with --serve: existing data (default: temp demo SQLite)"
    )
    parser.add_argument("--user", default="sales1", help="salesperson (default sales1)")
    parser.add_argument("--password", default="demo-sales-2026")
    parser.add_argument("--manager-user", default="manager", help="for /store-today")
    parser.add_argument("--manager-password", default="demo-manager-2026")
    parser.add_argument("--query", default="138", help="search fragment query (default 138)")
    parser.add_argument("--runs", type=int, default=3, help="cold loads per page (median time)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument(
        "--install-lighthouse",
        action="store_true",
        help=f"npm install {LIGHTHOUSE_PACKAGE} into bench/node_modules first",
    )
    parser.add_argument("--no-lighthouse", action="store_true", help="skip Lighthouse")
    return parser.parse_args(argv)


def measure(args: argparse.Namespace, base_url: str) -> Report:
    report = Report(base_url=base_url)
    chrome = chromium_path()
    _wait_for(base_url + "/login", 30, None)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chrome, headless=True, args=CHROMIUM_ARGS
        )
        try:
            sales = login(browser, base_url, args.user, args.password)
            manager = login(browser, base_url, args.manager_user, args.manager_password)
            card, card_mobile = find_card(sales)
            packet = find_packet(sales)
            if packet is None:
                log("no packet link on /my-day: the test-drive packet is left out")
            if card is None:
                log("no card link on /my-day or /customers/box: the card page is left out")
            token = csrf_token(sales)
            sales_cookies = sales.cookies()
            manager_cookies = manager.cookies()

            pages: list[tuple[str, str, str | None, list[dict]]] = [
                ("login", "/login", None, []),
                ("my day", "/my-day", args.user, sales_cookies),
                ("search", "/customers/", args.user, sales_cookies),
                ("new card", "/customers/new", args.user, sales_cookies),
            ]
            if card:
                pages.append(("card", card, args.user, sales_cookies))
            pages += [
                ("card box", "/customers/box", args.user, sales_cookies),
                ("catalogue", "/catalog/", args.user, sales_cookies),
                ("store today", "/store-today", args.manager_user, manager_cookies),
                ("bookings", "/testdrive/bookings", args.user, sales_cookies),
                ("test-drive cars", "/testdrive/cars", args.manager_user, manager_cookies),
                # The manager's PDCA pages and every dashboard.
                ("plan and actual", "/pdca/plan", args.manager_user, manager_cookies),
                ("hot table", "/pdca/hot", args.manager_user, manager_cookies),
                ("card box audit", "/pdca/audit", args.manager_user, manager_cookies),
                ("evening meeting", "/pdca/evening", args.manager_user, manager_cookies),
                ("morning meeting", "/pdca/morning", args.manager_user, manager_cookies),
            ]
            pages += [
                (
                    f"dashboard: {chart}",
                    f"/pdca/dashboard/{chart}",
                    args.manager_user,
                    manager_cookies,
                )
                for chart in ("funnel", "plan", "lost", "followup", "showroom")
            ]
            if packet:
                pages.append(("test-drive packet", packet, args.user, sales_cookies))
            # Warm the server (templates compiled, connections open): the client is measured.
            for _name, path, _user, cookies in pages:
                context = manager if cookies is manager_cookies else sales
                if cookies:
                    context.request.get(base_url + path)
            for name, path, user, cookies in pages:
                log(f"page {path}")
                report.pages.append(
                    weigh_page(browser, base_url, name, path, user, cookies, max(args.runs, 1))
                )

            fragments: list[tuple[str, str, str, str, dict[str, str] | None]] = [
                (
                    f"search {args.query}",
                    "POST",
                    "/customers/",
                    "customer-results",
                    {"q": args.query},
                ),
            ]
            if card_mobile and not card_mobile.startswith(args.query):
                # A search that surely finds rows: the prefix of a mobile of the user's cards.
                prefix = card_mobile[:3]
                fragments.append(
                    (f"search {prefix}", "POST", "/customers/", "customer-results", {"q": prefix})
                )
            fragments += [
                ("card box", "GET", "/customers/box", "card-box", None),
                ("my day", "GET", "/my-day", "my-day", None),
            ]
            if card:
                fragments.append(("card timeline", "GET", card, "timeline", None))
                drives = f"/testdrive/cards/{card.rstrip('/').rsplit('/', 1)[-1]}/drives"
                fragments.append(("card test drives", "GET", drives, "card-drives", None))
            for name, method, path, target, form in fragments:
                log(f"fragment {method} {path} ({target})")
                report.fragments.append(
                    weigh_fragment(base_url, name, method, path, target, sales_cookies, token, form)
                )

            if args.no_lighthouse:
                report.lighthouse_skipped = "--no-lighthouse"
            else:
                command = lighthouse_command()
                if command is None:
                    report.lighthouse_skipped = (
                        "not installed; run with --install-lighthouse (npm install "
                        f"{LIGHTHOUSE_PACKAGE} into bench/node_modules, needs the npm registry)"
                    )
                for name, path, _user, cookies in pages if command else []:
                    log(f"lighthouse {path}")
                    report.lighthouse.append(
                        run_lighthouse(command, base_url + path, name, path, cookies, chrome)
                    )
            sales.close()
            manager.close()
        finally:
            browser.close()
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.install_lighthouse and not args.no_lighthouse:
        install_lighthouse()
    if args.serve:
        with served_app(args.database_url) as base_url:
            report = measure(args, base_url)
    else:
        report = measure(args, args.base_url.rstrip("/"))
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = asdict(report)
        for page, data in zip(report.pages, payload["pages"], strict=True):
            data["load_median_ms"] = page.load_median_ms
            data["misses"] = page.misses()
        for fragment, data in zip(report.fragments, payload["fragments"], strict=True):
            data["misses"] = fragment.misses()
        payload["targets"] = {
            "page_total_bytes": PAGE_TOTAL_TARGET,
            "page_js_bytes": PAGE_JS_TARGET,
            "fragment_bytes": FRAGMENT_TARGET,
            "lighthouse_score": LIGHTHOUSE_TARGET,
        }
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        log(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

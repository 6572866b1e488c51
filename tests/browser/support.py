"""Helpers shared by the browser tests: logging in, screenshots, CSP and layout probes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from webapp.demo import DEMO_USERS

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

PASSWORDS = {username: password for username, _n, _r, password, _s, _g in DEMO_USERS}

# Registered before any page script runs (devtools protocol, so the CSP does not apply to it).
CSP_PROBE = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push({
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample
  });
});
"""


def login(page: Any, username: str, password: str | None = None) -> None:
    """Log in through the form and wait for the role's start page."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password or PASSWORDS[username])
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert "/login" not in page.url, f"login as {username} failed: {page.url}"


def back_to_chinese(page: Any) -> None:
    """The language is saved on the user: give them Chinese back for the other tests."""
    button = page.locator(".lang-form button[name=locale]:not([value=en])")
    if button.count():
        button.click()
        page.locator("html[lang^=zh]").wait_for(state="attached")


def shot(page: Any, name: str) -> Path:
    """Full-page screenshot into tests/artifacts/<name>-<width>x<height>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 0, "height": 0}
    path = ARTIFACTS / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


class ConsoleWatch:
    """Collects console errors, uncaught page errors and failed loads (status >= 400) of a page.

    Chromium logs every 4xx answer as "Failed to load resource"; such lines go to `failed`
    as (status, url), next to the 4xx responses seen on the network, so a test can tell an
    expected 422 from a missing file (the console also reports loads the page never sees,
    such as /favicon.ico).
    """

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        self.failed: set[tuple[int, str]] = set()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        where = (message.location or {}).get("url", "")
        status = re.search(r"status of (\d{3})", message.text)
        if message.text.startswith("Failed to load resource") and status:
            self.failed.add((int(status.group(1)), where))
            return
        self.errors.append(f"console: {message.text} ({where})")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed.add((response.status, response.url))

    def csp_errors(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e]

    def unexpected_failures(self, allowed: tuple[int, ...] = ()) -> list[tuple[int, str]]:
        return sorted(f for f in self.failed if f[0] not in allowed)


def csp_violations(page: Any) -> list[dict]:
    return page.evaluate("window.__cspViolations || []")


# Every visible element a finger can hit, with its box. Skipped, and why:
# - links that are part of running text (an `a` with display:inline inside a `p`): WCAG 2.5.8
#   exempts inline targets, and padding them would break the line spacing;
# - a checkbox inside `label.check`: the whole label is the target and is measured instead;
# - elements off to the left of the page (the skip link waits at left:-999px until focused).
TAP_TARGETS = """
() => {
  const out = [];
  const sel = "a[href], button, input:not([type=hidden]), select, textarea, label.check";
  for (const el of document.querySelectorAll(sel)) {
    const style = getComputedStyle(el);
    if (el.matches("a") && el.closest("p") && style.display === "inline") continue;
    if (el.matches("input") && el.closest("label.check")) continue;
    if (style.visibility === "hidden" || style.display === "none") continue;
    // The content of a closed <details> keeps a layout box but is not shown or tappable.
    if (el.checkVisibility && !el.checkVisibility({ contentVisibilityAuto: true })) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right <= 0) continue;
    if (el.closest(".visually-hidden")) continue;
    out.push({
      tag: el.tagName.toLowerCase(), id: el.id, cls: el.className,
      text: (el.textContent || el.value || el.name || "").trim().slice(0, 40),
      width: Math.round(r.width * 10) / 10, height: Math.round(r.height * 10) / 10,
    });
  }
  return out;
}
"""


def small_targets(page: Any, minimum: float = 44) -> list[dict]:
    return [
        t
        for t in page.evaluate(TAP_TARGETS)
        if t["width"] < minimum - 0.5 or t["height"] < minimum - 0.5
    ]


def horizontal_overflow(page: Any) -> int:
    """How many CSS pixels the whole page is wider than the viewport (0 = no sideways scroll)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth"
    )


def search(page: Any, text: str) -> Any:
    """Type into the customer search field (htmx fires while typing); return the response."""
    with page.expect_response(
        lambda r: (
            r.request.headers.get("hx-request") == "true"
            and r.url.split("?")[0].endswith("/customers/")
            and text in (r.request.post_data or r.url)
        )
    ) as answered:
        page.locator("#q").press_sequentially(text, delay=30)
    return answered.value


# Every visible status label and badge (and any element with its own text and a status colour
# class) against its effective background: WCAG AA asks 4.5:1 for text of this size.
LOW_CONTRAST = """(minimum) => {
  const parse = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const found = [];
  const selector = [
    '.badge', '[class*="state-"]', '[class*="booking-"]', '[class*="car-"]', '.due', '.overdue',
  ].join(', ');
  for (const el of document.querySelectorAll(selector)) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width === 0 || box.height === 0) continue;
    const fg = parse(getComputedStyle(el).color).slice(0, 3);
    const [a, b] = [lum(fg), lum(background(el))].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < minimum) {
      const text = el.textContent.trim().slice(0, 20);
      found.push({text, cls: el.className, ratio: Math.round(ratio * 100) / 100});
    }
  }
  return found;
}"""


def low_contrast(page: Any, minimum: float = 4.5) -> list[dict]:
    """Status labels and badges whose text is below `minimum`:1 against their background."""
    return page.evaluate(LOW_CONTRAST, minimum)

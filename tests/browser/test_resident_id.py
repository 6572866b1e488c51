"""The packet's resident ID check (GB 11643) in the browser answers as the server's does.

packet.js checks the number as it is typed (`window.Packet.validResidentId`);
webapp/testdrive/validators.py checks it again when the licence entry syncs
(`is_valid_resident_id`). Both run over one list of numbers and must agree on each: a number
the tablet accepts and the server refuses would come back as a refused entry after the drive.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from webapp.testdrive.validators import is_valid_resident_id

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "webapp" / "static"
# Loopback is a secure context; nothing listens here: every request of the page is routed.
ORIGIN = "http://127.0.0.1:47614"
PAGE = '<!doctype html><meta charset="utf-8"><title>id</title><script src="/packet.js"></script>'

# (number as typed, why it is in the list)
VECTORS = [
    ("11010519491231002X", "the GB 11643 example: check character X"),
    ("31011519880909008X", "check character X"),
    ("110105198001010016", "check character a digit"),
    ("320583198511070027", "check character a digit"),
    ("110105194912310011", "check character 1 (the remainder 0)"),
    ("440304200002291236", "29 February of a leap year"),
    ("11010519491231002x", "lower-case x"),
    (" 11010519491231002X ", "spaces around"),
    ("110105 19491231002X", "a space inside"),
    ("1101 0519 4912 3100 2X", "typed in groups of four"),
    ("\t11010519491231002X\n", "a tab and a newline around"),
    ("\u300011010519491231002X", "a full-width space before"),
    ("110105194912310021", "wrong check character"),
    ("110105194912310029", "wrong check character"),
    ("11010519491231002Y", "a letter that is no check character"),
    ("110105198001010019", "wrong check digit"),
    ("110105194912310020", "a digit where the check character is X"),
    ("11010519491231002", "17 characters"),
    ("11010519491231002X1", "19 characters"),
    ("", "empty"),
    ("   ", "only spaces"),
    ("110105200002300015", "30 February, with the right check character"),
    ("110105190002290017", "29 February 1900 (not a leap year)"),
    ("110105199913010013", "month 13"),
    ("110105199901000010", "day 0"),
    ("110105189912310015", "born before 1900"),
    ("110105209901010012", "born in the future"),
    ("11010A19491231002X", "a letter among the digits"),
    ("1101051949123100XX", "X before the last place"),
    ("ABCDEFGHIJKLMNOPQR", "letters only"),
    ("11010519491231002\u00d7", "the multiplication sign for X"),
    ("110105\u00a019491231002X", "a no-break space inside"),
    ("-11010519491231002", "a minus sign"),
    ("+11010519491231002", "a plus sign"),
    ("1.1010519491231002", "a decimal point"),
]

# Non-ASCII digits: str.isdigit() takes them, the browser's \d does not; a superscript two
# passes isdigit() and then int() raises.
NON_ASCII_DIGITS = [
    (
        "\uff11\uff11\uff10\uff11\uff10\uff15\uff11\uff19\uff14\uff19\uff11\uff12\uff13\uff11"
        "\uff10\uff10\uff12X",
        "full-width digits (an IME in full-width mode)",
    ),
    (
        "\u0661\u0661\u0660\u0661\u0660\u0665\u0661\u0669\u0664\u0669\u0661\u0662\u0663\u0661"
        "\u0660\u0660\u0662X",
        "Arabic-Indic digits",
    ),
    ("\u00b210105194912310021", "a superscript two in the first place"),
]

# Characters one side trims around the number and the other does not: String.trim() takes
# U+FEFF (a byte-order mark pasted along) but not U+0085 or U+001C, str.strip() the reverse.
TRIM_DIFFERENCES = [
    ("\ufeff11010519491231002X", "a byte-order mark before"),
    ("11010519491231002X\u0085", "a next-line control after"),
    ("\u001c11010519491231002X", "a file separator before"),
]


def _python(value: str) -> bool | str:
    try:
        return is_valid_resident_id(value)
    except ValueError as error:
        return f"raises ValueError: {error}"


def _serve(route: Any) -> None:
    path = route.request.url[len(ORIGIN) :]
    if path == "/id":
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=PAGE)
    elif path == "/packet.js":
        route.fulfill(path=str(STATIC / "js" / "packet.js"))
    else:
        route.fulfill(status=404, body="")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A bare page with packet.js alone (no packet on it: the script stops after its export)."""
    context = browser.new_context(base_url=ORIGIN, service_workers="block")
    context.route(f"{ORIGIN}/**", _serve)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto("/id")
    assert errors == []
    yield tab
    context.close()


def _disagreements(page: Any, vectors: list[tuple[str, str]]) -> list[tuple[str, str, Any, Any]]:
    numbers = [number for number, _why in vectors]
    in_js = page.evaluate("ns => ns.map(n => window.Packet.validResidentId(n))", numbers)
    return [
        (repr(number), why, js, _python(number))
        for (number, why), js in zip(vectors, in_js, strict=True)
        if js != _python(number)
    ]


def test_the_browser_and_the_server_agree_on_every_resident_id_number(page: Any) -> None:
    assert _disagreements(page, VECTORS) == []
    answers = {_python(number) for number, _why in VECTORS}
    assert answers == {True, False}  # the list holds numbers of both kinds
    assert page.evaluate("() => window.Packet.validResidentId('11010519491231002x')") is True


def test_the_browser_and_the_server_agree_on_numbers_in_other_digits(page: Any) -> None:
    assert _disagreements(page, NON_ASCII_DIGITS) == []


def test_the_browser_and_the_server_trim_the_same_characters_around_a_number(
    page: Any,
) -> None:
    assert _disagreements(page, TRIM_DIFFERENCES) == []

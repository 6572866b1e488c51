"""Rules every client value meets whatever the area: ids in URLs and query strings fit the
database's `integer`, days outside sane years fall back to today, and searches or filters
holding control characters answer normally. A 404 or an empty answer, never a 500.

The area forms (control characters refused next to their field) are tested beside each area,
in tests/<area>/test_input_rules.py, with the helpers below.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule

from webapp.converters import BoundedIntConverter
from webapp.inputs import MAX_ID, text_problem

# Characters pasted into a text field that a person cannot have meant.
CONTROL_CHARACTERS = pytest.mark.parametrize("bad", ["\x0b", "\x00"], ids=["vtab", "nul"])
TOO_LARGE_IDS = (2**31, 2**63, 10**30)
FAR_DAYS = ("0001-01-01", "9999-12-31")


def refused_message(locale: str = "zh_CN") -> str:
    """The message shown next to a field holding a control character, in `locale`."""
    with force_locale(locale):
        return text_problem("\x0b") or ""


def logged_in(client: FlaskClient, username: str) -> FlaskClient:
    """A fresh client of the same app logged in as `username` (a logged-in client's second
    login is only a redirect)."""
    other = client.application.test_client()
    assert other.login(username).status_code == 303  # type: ignore[attr-defined]
    return other


def int_get_routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, rule) of every GET route with an `<int:…>` part."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        if any(isinstance(c, BoundedIntConverter) for c in rule._converters.values()):
            found.append((rule.endpoint, rule.rule))
    return sorted(found)


def fill(rule: str, number: int) -> str:
    """The rule's path with every int part set to `number` and every other part to "x"."""

    def part(match: re.Match[str]) -> str:
        return str(number) if match.group(1) == "int" else "x"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", part, rule)


def test_every_int_route_is_served_by_the_bounded_converter(app):
    routes = int_get_routes(app)
    assert len(routes) >= 20
    for rule in app.url_map.iter_rules():
        for converter in rule._converters.values():
            assert type(converter).__name__ != "IntegerConverter", rule.rule


@pytest.mark.parametrize("number", TOO_LARGE_IDS, ids=["2^31", "2^63", "10^30"])
def test_every_int_route_with_an_id_too_large_for_the_database_is_not_found(client, world, number):
    client.login("admin")
    answers = {
        rule: client.get(fill(rule, number)).status_code
        for _e, rule in int_get_routes(client.application)
    }
    assert answers and set(answers.values()) == {404}, answers


def test_every_int_route_with_the_largest_id_answers_without_a_server_error(client, world):
    client.login("admin")
    answers = {
        rule: client.get(fill(rule, MAX_ID)).status_code
        for _e, rule in int_get_routes(client.application)
    }
    assert all(status < 500 for status in answers.values()), answers


def test_an_id_of_zero_or_with_non_ascii_digits_is_not_a_route(client, world):
    client.login("admin")
    assert client.get("/customers/0").status_code == 404
    assert client.get("/customers/%D9%A1").status_code == 404  # Arabic-Indic one


def test_signed_min_and_max_arguments_still_narrow_the_range():
    url_map = Map(
        [
            Rule("/page/<int(min=5, max=10):n>", endpoint="page"),
            Rule("/delta/<int(signed=True):n>", endpoint="delta"),
            Rule("/wide/<int(max=99999999999999):n>", endpoint="wide"),
        ],
        converters={"int": BoundedIntConverter},
    )
    urls = url_map.bind("localhost")
    assert urls.match("/page/7") == ("page", {"n": 7})
    assert urls.match("/delta/-3") == ("delta", {"n": -3})
    assert urls.match(f"/delta/-{2**31}") == ("delta", {"n": -(2**31)})
    for path in ("/page/4", "/page/11", f"/delta/-{2**31 + 1}", f"/wide/{2**31}"):
        with pytest.raises(NotFound):
            urls.match(path)


@pytest.mark.parametrize("day", [*FAR_DAYS, "2026-02-30", "nonsense\x00"])
def test_the_register_and_its_exports_with_a_far_or_unreadable_day_show_today(client, world, day):
    client.login("manager")
    for path in ("/reception/register", "/reception/register.csv", "/reception/register.xlsx"):
        response = client.get(path, query_string={"day": day})
        assert response.status_code == 200, path


@pytest.mark.parametrize("day", FAR_DAYS)
def test_test_drive_bookings_and_schedule_with_a_far_day_show_today(client, world, day):
    client.login("manager")
    for path in ("/testdrive/bookings", "/testdrive/schedule"):
        response = client.get(path, query_string={"day": day})
        assert response.status_code == 200, path


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "99999999999999999999-01"])
def test_the_card_box_of_a_far_month_shows_this_month(client, world, month):
    client.login("sales")
    assert client.get("/customers/box", query_string={"month": month}).status_code == 200


@pytest.mark.parametrize(
    "path, args, login",
    [
        ("/customers/box", {"after": "H-99999999999999999999"}, "sales"),
        ("/my-day", {"due_after": "2026-01-01-99999999999999999999"}, "sales"),
        ("/my-day", {"due_after": "0001-01-01-1"}, "sales"),
        ("/testdrive/bookings/new", {"card_id": "99999999999999999999"}, "sales"),
        ("/testdrive/bookings/new", {"card_id": "²"}, "sales"),
    ],
)
def test_a_cursor_or_card_id_no_link_makes_is_not_found(client, world, path, args, login):
    client.login(login)
    assert client.get(path, query_string=args).status_code == 404


def test_a_model_or_sheet_id_too_large_in_the_query_is_not_found(client, world):
    client.login("sales")
    card = world.own_card.id
    for path, name in (("walkaround", "model"), ("compare", "sheet")):
        response = client.get(f"/consult/cards/{card}/{path}", query_string={name: str(2**31)})
        assert response.status_code == 404, path


def test_id_filters_too_large_for_the_database_are_ignored(client, world):
    client.login("admin")
    huge = "99999999999999999999"
    assert client.get("/admin/users", query_string={"store_id": huge}).status_code == 200
    assert client.get("/reception/register", query_string={"owner_id": huge}).status_code == 200


@CONTROL_CHARACTERS
def test_searches_and_filters_with_a_control_character_answer_normally(client, world, bad):
    client.login("admin")
    for path, args in (
        ("/catalog/", {"body_type": bad}),
        ("/admin/users", {"role": bad, "active": bad, "store_id": bad}),
        ("/reception/register", {"source": bad, "result": bad, "owner_id": bad}),
    ):
        assert client.get(path, query_string=args).status_code == 200, path
    sales = logged_in(client, "sales")
    for query in (bad, f"自己{bad}", f"139{bad}"):
        found = sales.post("/customers/", data={"q": query})
        assert found.status_code == 200
        assert world.own_card.name not in found.get_data(as_text=True)
    assert sales.post("/customers/check-mobile", data={"mobile": bad}).status_code == 200
    greeter = logged_in(client, "greeter")
    assert greeter.post("/reception/phone-check", data={"mobile": bad}).status_code == 200


@CONTROL_CHARACTERS
def test_a_username_with_a_control_character_is_a_failed_login_not_a_crash(client, world, bad):
    response = client.post("/login", data={"username": f"sales{bad}", "password": "x" * 12})
    assert response.status_code == 401
    assert client.login("sales").status_code == 303


def test_a_query_string_of_raw_bytes_that_are_not_utf8_is_a_400_page(client, world):
    signed_in = logged_in(client, "manager")
    for path in ("/login", "/reception/register", "/testdrive/bookings"):
        response = signed_in.get(path, environ_overrides={"QUERY_STRING": "day=\xff\xfe"})
        assert response.status_code == 400 and response.mimetype == "text/html", path

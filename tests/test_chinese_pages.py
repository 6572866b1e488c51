"""Every page of steps ②–⑤, rendered in Chinese over the demo data, shows no English words.

The pages are found from the URL map (every GET route of the reception, home, customers,
consult and test-drive areas), so a new page is checked without being listed here. Each role
that works these steps opens each page with the demo store's records filled into the URL; what
the user reads — text, placeholders, titles, labels, confirmations — is searched for Latin
words. Model names, brands, units and codes written in capitals (VIN, plates, JPEG) are what a
Chinese showroom writes in Latin letters; any other word is an untranslated string or English
stored in the data.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from webapp.catalog.models import Sfx, VehicleModel
from webapp.consult.models import ComparisonSheet, DisplayCar, DisplayCarCheck
from webapp.customers.models import CustomerCard
from webapp.demo import DEMO_USERS, seed
from webapp.extensions import db
from webapp.negotiation.contract_models import Contract, Memo, MemoVersion
from webapp.reception.models import Visit
from webapp.stock.models import Vehicle
from webapp.testdrive.models import TestDriveBooking, TestDriveCar, TestDriveRoute

AREAS = ("home", "reception", "customers", "consult", "testdrive", "stock", "negotiation")
# Files, images and pings are not pages.
NOT_PAGES = {
    "home.ping",
    "reception.register_csv",
    "reception.register_xlsx",
    "consult.check_photo",
    "testdrive.packet_map",
    "testdrive.route_map",
    "stock.import_template",
    "negotiation.memo_pdf",
    "negotiation.contract_signature",
    "negotiation.tact_csv",
}
# Pages that take the card as a query argument.
NEEDS_CARD = {"testdrive.new_booking"}
ROLES = ("sales1", "manager", "greeter", "keeper", "finance")
# Written in Latin letters in a Chinese showroom: units, standards, abbreviations, brands.
ALLOWED = {
    "ftms",
    "memo",  # the standard's own name of 附表十: 商谈memo
    "hot",  # the standard's own name of 附表三: 月度Hot管理表
    "faw",
    "toyota",
    "gac",
    "lexus",
    "vin",
    "suv",
    "mpv",
    "tnga",
    "cvt",
    "ecvt",
    "km",
    "kw",
    "nm",
    "wltc",
    "nedc",
    "csv",
    "xlsx",
    "excel",
    "pdca",
    "fab",
    "gps",
    "pm",
    "usb",
    "led",
    "etc",
    "carplay",
    "carlife",
    "jbl",
    "tss",
    "hud",
    "abs",
    "esp",
    "vsc",
    "acc",
    "lta",
    "pcs",
    "kg",
    "mm",
    "cm",
    "hp",
    "ps",
    "rpm",
    "ev",
    "hev",
    "phev",
    "bev",
    "dnga",
    "vvt",
    "ie",
    "qr",
    "wi",
    "fi",
    "app",
    "id",
    "ok",
    "vip",
    "ai",
    "sfx",
    "cd",
    "mt",
    "at",
    "am",
    "rmb",
    "iso",
    "bz",
    "nissan",
    "honda",
    "volkswagen",
    "vw",
    "byd",
    "buick",
    "mazda",
    "hyundai",
    "kia",
    "geely",
    "chery",
    "changan",
    "haval",
    "tesla",
    "audi",
    "bmw",
    "benz",
    "chevrolet",
    "ford",
    "ota",
    "apa",
    "pvm",
    "bsm",
    "rcta",
    "dvr",
    "tpms",
    "ncap",
    "cncap",
    "ciasi",
    "nvh",
    "dct",
    "gl",
    "gs",
    "gt",
    "le",
    "xle",
    "se",
    "dc",
    "ac",
    "dohc",
    "ecu",
    "gb",
    "kwh",
    "mpa",
}
ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "hx-confirm", "data-confirm"}
LATIN = re.compile(r"[A-Za-z][A-Za-z'’]+")


class _Reader(HTMLParser):
    """What a user reads on the page: text and the attributes shown to them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        # The language switch says "English" in English on purpose; scripts are not read.
        if tag in ("script", "style", "template") or values.get("lang") == "en":
            self._skip.append(tag)
            return
        if self._skip:
            return
        for name, value in attrs:
            shown = name in ATTRIBUTES or (name.startswith("data-") and "warning" in name)
            if value and shown:
                self.parts.append(value)
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(values["value"] or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def english_words(html: str, allowed: set[str]) -> set[str]:
    reader = _Reader()
    reader.feed(html)
    words = set()
    for part in reader.parts:
        for word in LATIN.findall(part):
            if not word.isupper() and word.lower().strip("'’") not in allowed:
                words.add(word)
    return words


def _names_in_catalogue() -> set[str]:
    """Model and version names as the catalogue spells them (RAV4, bZ3, Corolla …)."""
    names: set[str] = set()
    texts = [
        *db.session.scalars(sa.select(VehicleModel.name_zh)),
        *db.session.scalars(sa.select(VehicleModel.name_en)),
        *db.session.scalars(sa.select(Sfx.grade)),
        *db.session.scalars(sa.select(Sfx.engine)),
    ]
    for text in texts:
        names.update(w.lower() for w in LATIN.findall(text or ""))
    for sheet in db.session.scalars(sa.select(ComparisonSheet)).all():
        names.update(w.lower() for w in LATIN.findall(sheet.competitor))
    return names


def _first(statement: sa.Select) -> int | None:
    return db.session.scalar(statement.limit(1))


def _ids(username: str) -> dict[str, int | None]:
    """Records of the demo store to fill the URLs with, the user's own where it matters."""
    from webapp.auth.models import User

    user = db.session.scalar(sa.select(User).where(User.username == username))
    assert user is not None
    own_card = sa.select(CustomerCard.id).where(CustomerCard.store_id == user.store_id)
    if username.startswith("sales"):
        own_card = own_card.where(CustomerCard.owner_id == user.id)
    booking = sa.select(TestDriveBooking.id).where(TestDriveBooking.store_id == user.store_id)
    if username.startswith("sales"):
        booking = booking.where(TestDriveBooking.owner_id == user.id)
    visit = sa.select(Visit.id).where(Visit.store_id == user.store_id)
    if username.startswith("sales"):
        visit = visit.where(Visit.owner_id == user.id)
    memo = sa.select(Memo.id).where(Memo.store_id == user.store_id)
    contract = sa.select(Contract.id).where(Contract.store_id == user.store_id)
    if username.startswith("sales"):
        memo = memo.where(Memo.owner_id == user.id)
        contract = contract.where(Contract.owner_id == user.id)
    return {
        "card_id": _first(own_card.order_by(CustomerCard.id)),
        "booking_id": _first(booking.order_by(TestDriveBooking.id)),
        "visit_id": _first(visit.order_by(Visit.id)),
        "sheet_id": _first(sa.select(ComparisonSheet.id).order_by(ComparisonSheet.id)),
        "model_id": _first(sa.select(VehicleModel.id).order_by(VehicleModel.id)),
        "route_id": _first(
            sa.select(TestDriveRoute.id).where(TestDriveRoute.store_id == user.store_id)
        ),
        "display_car_id": _first(
            sa.select(DisplayCar.id).where(DisplayCar.store_id == user.store_id)
        ),
        "test_drive_car_id": _first(
            sa.select(TestDriveCar.id).where(TestDriveCar.store_id == user.store_id)
        ),
        "check_id": _first(sa.select(DisplayCarCheck.id)),
        "vehicle_id": _first(sa.select(Vehicle.id).where(Vehicle.store_id == user.store_id)),
        "memo_id": _first(memo.order_by(Memo.id)),
        "number": 1,
        "version_id": _first(
            sa.select(MemoVersion.id).where(MemoVersion.memo_id.in_(memo)).order_by(MemoVersion.id)
        ),
        "contract_id": _first(contract.order_by(Contract.state == "allocated", Contract.id)),
    }


def _pages(app: Flask, ids: dict[str, int | None]) -> list[tuple[str, str]]:
    pages = []
    for rule in app.url_map.iter_rules():
        area = rule.endpoint.split(".")[0]
        if area not in AREAS or "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES:
            continue
        values: dict[str, Any] = {}
        for argument in rule.arguments:
            key = argument
            if argument == "car_id":
                key = "display_car_id" if area == "consult" else "test_drive_car_id"
            if argument == "kind":
                values[argument] = "safety"
                continue
            values[argument] = ids.get(key)
        if any(value is None for value in values.values()):
            continue
        with app.test_request_context():
            from flask import url_for

            if rule.endpoint in NEEDS_CARD and ids.get("card_id") is not None:
                values["card_id"] = ids["card_id"]
            pages.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return pages


@pytest.fixture
def demo(app: Flask) -> Flask:
    seed()
    db.session.commit()
    return app


def test_every_page_of_steps_two_to_five_reads_in_chinese_only(demo: Flask) -> None:
    allowed = ALLOWED | _names_in_catalogue()
    passwords = {name: password for name, _, _, password, _, _ in DEMO_USERS}
    found: dict[str, set[str]] = {}
    seen: set[str] = set()
    for username in ROLES:
        client = demo.test_client()
        client.login(username, passwords[username])
        for endpoint, url in _pages(demo, _ids(username)):
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            seen.add(endpoint)
            words = english_words(response.get_data(as_text=True), allowed)
            if words:
                found[f"{username} {url}"] = words
    assert not found, "\n".join(f"{page}: {sorted(words)}" for page, words in found.items())
    # The check is worth something only if it saw the pages of every step.
    for endpoint in (
        "home.my_day",
        "home.arrivals",
        "home.store_today",
        "reception.register",
        "reception.roster",
        "reception.visit",
        "customers.card",
        "customers.box",
        "customers.edit",
        "consult.needs",
        "consult.walkaround",
        "consult.compare",
        "consult.display_cars",
        "consult.display_check",
        "testdrive.bookings",
        "testdrive.booking",
        "testdrive.packet",
        "testdrive.new_booking",
    ):
        assert endpoint in seen, endpoint


def test_the_reader_finds_english_in_text_and_attributes_but_not_in_scripts() -> None:
    html = (
        '<p>试驾 done</p><input placeholder="Name"><script>var x = "hidden";</script>'
        '<button lang="en">English</button><span title="RAV4 荣放">RAV4</span> 津BF12 VIN'
    )
    assert english_words(html, {"rav"}) == {"done", "Name"}

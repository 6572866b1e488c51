"""Translated labels of the consult area's stored codes: walkaround positions, need tags,
question types and display-car checklist items (steps ③ ④). The timeline events this area
records are labelled with the card's other events (webapp/customers/labels.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TABLES: dict[str, dict[str, object]] = {
    "position": {
        "front45": _l("Front 45°"),
        "driver_side": _l("Driver side"),
        "rear": _l("Rear"),
        "passenger_side": _l("Passenger side"),
        "engine_bay": _l("Engine bay"),
        "interior": _l("Interior"),
    },
    "need": {
        "economy": _l("Economy"),
        "safety": _l("Safety"),
        "space": _l("Space"),
        "comfort": _l("Comfort"),
        "performance": _l("Performance"),
        "tech": _l("Technology"),
        "value": _l("Value for money"),
        "business": _l("Business use"),
    },
    "question_type": {
        "text": _l("Text"),
        "choice": _l("One choice"),
        "multi": _l("Several choices"),
        "date": _l("Date"),
        "number": _l("Number"),
        "yesno": _l("Yes / no"),
        "model": _l("Model"),
        "payment": _l("Cash or loan"),
    },
    "display_item": {
        "plates": _l("Plates front and rear with the model name"),
        "clean": _l("Whole car clean"),
        "tyres_dressed": _l("Tyres dressed"),
        "wheel_logo": _l("Wheel-centre logo upright"),
        "tyre_mats": _l("Tyre mats under the tyres"),
        "unlocked": _l("Unlocked"),
        "windows_closed": _l("Windows closed"),
        "sunshade_open": _l("Sunshade open (sunroof models)"),
        "film_removed": _l("All plastic film removed"),
        "floor_mats": _l("Floor mats in"),
        "price_sticker": _l("Price sticker moved to the glovebox"),
        "steering_high": _l("Steering wheel at its highest"),
        "headrests_low": _l("Headrests at their lowest"),
        "driver_seat": _l("Driver seat back, backrest at 105°, aligned with the passenger seat"),
        "clock_set": _l("Clock set"),
        "radio_preset": _l("Radio preset to a clear station"),
        "music": _l("3 music CDs or playlists of different styles"),
    },
}

"""Checks of real-world identifiers met in step ⑤: resident ID numbers (GB 11643, the number
on a Chinese driving licence), VINs (ISO 3779 / GB 16735 check digit) and licence classes."""

from __future__ import annotations

from datetime import date

from webapp.testdrive.models import LicenceClass, Transmission

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}


# What the browser's String.prototype.trim() removes (packet.js normalises the same way):
# white space, no-break spaces, the byte order mark and line terminators, and no more.
_TRIMMED = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def normalise_id_number(value: str) -> str:
    """Upper-case, without spaces: '11010519491231002x ' → '11010519491231002X'."""
    return value.strip(_TRIMMED).replace(" ", "").upper()


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_resident_id(value: str) -> bool:
    """18 characters, a real birth date, and the right check character."""
    number = normalise_id_number(value)
    # ASCII digits only: str.isdigit() also takes full-width and other scripts' digits, and
    # superscripts that int() then refuses.
    if len(number) != 18 or not (number[:17].isascii() and number[:17].isdigit()):
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > date.today():
        return False
    return number[17] == resident_id_check_char(number[:17])


def vin_check_digit(vin: str) -> str:
    """The ISO 3779 check digit (position 9) computed from the other 16 characters."""
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def is_valid_vin(value: str) -> bool:
    """17 characters without I, O, Q, and the check digit at position 9 (mandatory in China)."""
    vin = value.strip().upper()
    if len(vin) != 17 or any(c not in _VIN_VALUES for c in vin):
        return False
    return vin[8] == vin_check_digit(vin)


def licence_covers(licence_class: str, transmission: str) -> bool:
    """Whether a licence class may drive a passenger car with this transmission.

    C2 is automatic only; C1 and the heavier classes (A1, A2, B1, B2) cover both.
    """
    if licence_class not in LicenceClass.__members__.values():
        return False
    if licence_class == LicenceClass.C2:
        return transmission == Transmission.AUTOMATIC
    return True

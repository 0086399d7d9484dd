"""Checks for Chinese identity data: mainland mobile numbers and resident ID-card numbers."""

import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# ASCII digits only: `\d` also matches full-width (０-９) and other scripts' digits, and
# "1399207387０" would be a second account, with its own SMS limits, for the same phone.
MAINLAND_PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
ID_CARD_RE = re.compile(r"[0-9]{17}[0-9X]")
INSURANCE_CARD_RE = re.compile(r"[0-9A-Za-z]{6,32}")

# GB 11643-1999: weights 2^(17-i) mod 11 for the first 17 digits (ISO 7064 MOD 11-2).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
# Province-level codes (GB/T 2260) that start a resident ID number.
_PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip
_EARLIEST_BIRTH_DATE = date(1900, 1, 1)


@dataclass(frozen=True)
class IdCardInfo:
    number: str
    birth_date: date
    gender: str  # "male" or "female", the PatientProfile.Gender values


def _refuse_non_ascii_digits(value: str) -> None:
    """Refuse full-width and other non-ASCII digits by name rather than convert them."""
    if any(char.isdigit() and not char.isascii() for char in value):
        raise ValidationError(
            _("Use the digits 0-9 (half-width); other digits are not accepted."),
            code="non_ascii_digits",
        )


def normalize_phone(value: str) -> str:
    """Return the 11-digit mainland mobile number or raise ValidationError."""
    phone = value.strip() if isinstance(value, str) else ""
    _refuse_non_ascii_digits(phone)
    if not MAINLAND_PHONE_RE.fullmatch(phone):
        raise ValidationError(
            _("Enter a valid mainland China mobile number."), code="invalid_phone"
        )
    return phone


def id_card_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True)
    )
    return _ID_CHECK_CHARS[total % 11]


def parse_id_card(value: str) -> IdCardInfo:
    """Validate an 18-character resident ID number and read its birth date and gender.

    Accepts a lower-case x. Raises ValidationError (code "invalid_id_card") otherwise.
    """
    number = value.strip().upper() if isinstance(value, str) else ""
    invalid = ValidationError(
        _("Enter a valid 18-character resident ID-card number."),
        code="invalid_id_card",
    )
    _refuse_non_ascii_digits(number)
    if not ID_CARD_RE.fullmatch(number) or number[:2] not in _PROVINCE_CODES:
        raise invalid
    if id_card_check_char(number[:17]) != number[17]:
        raise invalid
    try:
        birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise invalid from None
    if birth_date < _EARLIEST_BIRTH_DATE or birth_date > timezone.localdate():
        raise invalid
    gender = "male" if int(number[16]) % 2 == 1 else "female"
    return IdCardInfo(number=number, birth_date=birth_date, gender=gender)


def normalize_insurance_card(value: str) -> str:
    """An optional medical-insurance card number: empty, or 6-32 letters and digits."""
    number = value.strip() if isinstance(value, str) else ""
    if number and not INSURANCE_CARD_RE.fullmatch(number):
        raise ValidationError(
            _("Enter a valid medical insurance card number (6-32 letters or digits)."),
            code="invalid_insurance_card",
        )
    return number

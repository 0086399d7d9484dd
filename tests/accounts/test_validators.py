import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from accounts.validators import (
    IdCardInfo,
    id_card_check_char,
    normalize_insurance_card,
    normalize_phone,
    parse_id_card,
)
from tests.accounts.factories import make_id_card_no


def test_the_published_sample_number_is_valid():
    # 11010519491231002X: the standard's worked example (check character X).
    assert parse_id_card("11010519491231002X") == IdCardInfo(
        number="11010519491231002X",
        birth_date=datetime.date(1949, 12, 31),
        gender="female",
    )


def test_a_lower_case_x_and_spaces_are_normalized():
    assert parse_id_card(" 11010519491231002x ").number == "11010519491231002X"


@pytest.mark.parametrize(
    ("first17", "check"),
    # The two worked examples of GB 11643-1999.
    [("11010519491231002", "X"), ("44052418800101001", "4")],
)
def test_check_character_follows_iso_7064_mod_11_2(first17, check):
    # Computed by hand: sum of digit * 2^(17-i) mod 11, mapped through "10X98765432".
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    assert "10X98765432"[total % 11] == check
    assert id_card_check_char(first17) == check


def test_generated_numbers_carry_gender_and_birth_date():
    male = make_id_card_no(datetime.date(1985, 6, 15), female=False)
    female = make_id_card_no(datetime.date(2001, 2, 28), female=True)

    assert parse_id_card(male).gender == "male"
    assert parse_id_card(male).birth_date == datetime.date(1985, 6, 15)
    assert parse_id_card(female).gender == "female"
    assert parse_id_card(female).birth_date == datetime.date(2001, 2, 28)


@pytest.mark.parametrize(
    "value",
    [
        "110105194912310021",  # wrong check digit
        "11010519491231002",  # 17 characters
        "11010519491231002X1",  # 19 characters
        "1101051949123100AX",  # a letter inside
        "",
        None,
        12345,
    ],
)
def test_malformed_numbers_are_refused(value):
    with pytest.raises(ValidationError) as excinfo:
        parse_id_card(value)

    assert excinfo.value.code == "invalid_id_card"


def _with_check(first17: str) -> str:
    return first17 + id_card_check_char(first17)


@pytest.mark.parametrize(
    "first17",
    [
        "11010519490230002",  # 30 February
        "11010519491301002",  # month 13
        "11010518991231002",  # born before 1900
        "00010519491231002",  # no such province
    ],
)
def test_numbers_with_a_correct_check_digit_but_impossible_content_are_refused(first17):
    with pytest.raises(ValidationError):
        parse_id_card(_with_check(first17))


def test_a_birth_date_in_the_future_is_refused():
    with time_machine.travel(datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC)):
        tomorrow = _with_check("11010520260303001")
        today = _with_check("11010520260302001")

        with pytest.raises(ValidationError):
            parse_id_card(tomorrow)
        assert parse_id_card(today).birth_date == datetime.date(2026, 3, 2)


@pytest.mark.parametrize("phone", ["13800138000", "19912345678", " 15000000000 "])
def test_mainland_mobile_numbers_are_accepted(phone):
    assert normalize_phone(phone) == phone.strip()


@pytest.mark.parametrize(
    "phone", ["12800138000", "1380013800", "+8613800138000", "1380013800a", "", None]
)
def test_other_phone_numbers_are_refused(phone):
    with pytest.raises(ValidationError):
        normalize_phone(phone)


def test_insurance_card_numbers():
    assert normalize_insurance_card("") == ""
    assert normalize_insurance_card(" AB123456 ") == "AB123456"
    with pytest.raises(ValidationError):
        normalize_insurance_card("12-34")


# Full-width (U+FF10-FF19), Arabic-Indic, Devanagari and superscript digits: `\d` and
# str.isdigit() accept them all, and int() reads most of them as the same number.
NON_ASCII_DIGIT_PHONES = [
    "1399207387\uff10",  # the last digit full-width: "1399207387０"
    "\uff11\uff13\uff19\uff19\uff12\uff10\uff17\uff13\uff18\uff17\uff10",
    "\u0661\u0663\u0669\u0669\u0662\u0660\u0667\u0663\u0668\u0667\u0660",
    "139920738\u0967\u0966",
    "1399207387\u00b2",
]


@pytest.mark.parametrize("phone", NON_ASCII_DIGIT_PHONES)
def test_phones_with_non_ascii_digits_are_refused_by_name(phone):
    with pytest.raises(ValidationError) as excinfo:
        normalize_phone(phone)

    assert excinfo.value.code == "non_ascii_digits"
    assert "0-9" in excinfo.value.messages[0]


def test_the_ascii_phone_beside_a_full_width_one_is_accepted_unchanged():
    assert normalize_phone("13992073870") == "13992073870"


@pytest.mark.parametrize("position", [0, 6, 16])
def test_id_numbers_with_a_full_width_digit_are_refused(position):
    number = "11010519491231002X"
    full_width = chr(ord(number[position]) - ord("0") + 0xFF10)
    value = number[:position] + full_width + number[position + 1 :]

    with pytest.raises(ValidationError) as excinfo:
        parse_id_card(value)

    assert excinfo.value.code == "non_ascii_digits"


def test_a_full_width_x_is_not_the_check_character():
    with pytest.raises(ValidationError) as excinfo:
        parse_id_card("11010519491231002\uff38")  # "Ｘ"

    assert excinfo.value.code == "invalid_id_card"

from decimal import Decimal

import pytest

from common.money import InvalidAmount, apply_rate, fen_to_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("fen", "yuan"), [(0, "0.00"), (1, "0.01"), (2050, "20.50"), (123456, "1234.56")]
)
def test_fen_and_yuan_convert_exactly_both_ways(fen, yuan):
    assert fen_to_yuan(fen) == yuan
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize(("text", "fen"), [("20", 2000), ("20.5", 2050), ("0.1", 10)])
def test_short_yuan_strings_are_read_exactly(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "20.001",
        "-1.00",
        "1e3",
        "",
        "abc",
        "20.00.1",
        " ",
        "NaN",
        "1,000.00",
        "\uff15\uff10.00",  # "５０.00": full-width digits
    ],
)
def test_anything_but_a_plain_amount_is_refused(text):
    with pytest.raises(InvalidAmount):
        yuan_to_fen(text)


def test_negative_amounts_are_read_only_when_allowed():
    assert yuan_to_fen("-5.50", allow_negative=True) == -550


@pytest.mark.parametrize(
    ("fen", "rate", "expected"),
    [
        (2000, Decimal("1"), 2000),
        (1999, Decimal("0.85"), 1699),  # 1699.15
        (1990, Decimal("0.85"), 1692),  # 1691.5 rounds half up
        (5, Decimal("0.5"), 3),  # 2.5 rounds half up
        (1, Decimal("0.3"), 0),
    ],
)
def test_rates_round_half_up_to_whole_fen(fen, rate, expected):
    assert apply_rate(fen, rate) == expected

import pytest
from django import forms

from common.forms import PercentField, YuanField, ZheField
from common.money import yuan_display, zhe_display


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("50", 5000),
        ("12.5", 1250),
        ("12.50", 1250),
        ("¥8", 800),
        ("1,200元", 120000),
        ("0", 0),
    ],
)
def test_yuan_field_reads_yuan_and_keeps_fen(typed, fen):
    # given
    field = YuanField(min_yuan=1, max_yuan=2000)

    # when
    cleaned = field.clean(typed)

    # then
    assert cleaned == fen


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("0.5", "too_small"),
        ("5000", "too_large"),
        ("abc", "invalid"),
        ("1.234", "invalid"),
        ("-3", "invalid"),
        ("nan", "invalid"),
    ],
)
def test_yuan_field_refuses_implausible_or_malformed_amounts(typed, code):
    field = YuanField(min_yuan=1, max_yuan=2000)

    with pytest.raises(forms.ValidationError) as excinfo:
        field.clean(typed)

    assert excinfo.value.code == code


def test_yuan_field_refuses_zero_when_not_allowed():
    field = YuanField(min_yuan=1, allow_zero=False)

    with pytest.raises(forms.ValidationError) as excinfo:
        field.clean("0")

    assert excinfo.value.code == "too_small"


def test_yuan_field_shows_stored_fen_as_yuan():
    assert YuanField().prepare_value(5000) == "50.00"
    assert YuanField().prepare_value("50") == "50"


@pytest.mark.parametrize(
    ("typed", "basis_points"),
    [("8.5", 8500), ("8.5折", 8500), ("10", 10000), ("85%", 8500), ("9.55", 9550)],
)
def test_zhe_field_reads_zhe_or_percent_paid(typed, basis_points):
    assert ZheField().clean(typed) == basis_points


@pytest.mark.parametrize("typed", ["0.5", "11", "x", "101%", "8.5555"])
def test_zhe_field_refuses_rates_outside_one_to_ten_zhe(typed):
    with pytest.raises(forms.ValidationError) as excinfo:
        ZheField().clean(typed)

    assert excinfo.value.code == "invalid"


def test_zhe_field_shows_stored_basis_points_as_zhe():
    assert ZheField().prepare_value(8500) == "8.5"
    assert ZheField().prepare_value(10000) == "10"


@pytest.mark.parametrize(
    ("typed", "basis_points"),
    [("20", 2000), ("12.5", 1250), ("20%", 2000), ("0", 0), ("50", 5000)],
)
def test_percent_field_reads_percent_and_keeps_basis_points(typed, basis_points):
    assert PercentField(max_percent=50).clean(typed) == basis_points


@pytest.mark.parametrize("typed", ["50.5", "-1", "x", "12.345"])
def test_percent_field_refuses_shares_outside_its_limit(typed):
    with pytest.raises(forms.ValidationError) as excinfo:
        PercentField(max_percent=50).clean(typed)

    assert excinfo.value.code == "invalid"


def test_percent_field_shows_stored_basis_points_as_percent():
    assert PercentField().prepare_value(2000) == "20"
    assert PercentField().prepare_value(1250) == "12.5"


def test_displays_read_as_staff_expect():
    assert yuan_display(5000) == "¥50.00"
    assert yuan_display(-150) == "-¥1.50"
    assert yuan_display(None) == "-"
    assert zhe_display(8500) == "8.5折"
    assert zhe_display(8000) == "8折"
    assert zhe_display(10000) == "原价"

import dataclasses

import pytest
from django.utils import timezone

from analytics.selectors import today_figures
from tests.analytics.factories import hospital_day
from tests.hospitals.factories import HospitalFactory

pytestmark = pytest.mark.django_db


def _numbers(figures) -> dict:
    numbers = dataclasses.asdict(figures)
    numbers.pop("date")
    return numbers


def test_today_figures_count_the_days_rows_at_one_hospital():
    # given a day at two hospitals
    hospital, other = HospitalFactory(), HospitalFactory()
    expected = hospital_day(hospital)
    hospital_day(other)

    # when the first hospital's figures are read
    figures = today_figures(hospital_id=hospital.pk, today=timezone.localdate())

    # then only its rows of today count
    assert _numbers(figures) == dataclasses.asdict(expected)


def test_today_figures_without_a_hospital_add_up_every_hospital():
    # given a day at two hospitals
    expected = hospital_day(HospitalFactory())
    hospital_day(HospitalFactory())

    # when the figures are read for every hospital
    figures = today_figures(hospital_id=None, today=timezone.localdate())

    # then each figure is the sum of both
    assert _numbers(figures) == {
        name: 2 * value for name, value in dataclasses.asdict(expected).items()
    }


def test_today_figures_of_a_quiet_day_are_zero():
    # given a hospital with nothing today
    hospital = HospitalFactory()

    # when its figures are read
    figures = today_figures(hospital_id=hospital.pk, today=timezone.localdate())

    # then every figure is zero
    assert set(_numbers(figures).values()) == {0}

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from analytics.models import NoShowModel
from analytics.noshow.services import noshow_model_activate, noshow_model_train_own
from analytics.prediction import RiskScore, appointment_risk_score
from appointments.models import Appointment
from common.services import Actor
from tests.analytics.noshow_helpers import (
    TINY_GRID,
    appointment_row,
    generated_history,
    session_on,
    train_active_model,
)

pytestmark = pytest.mark.django_db


def test_no_active_model_gives_no_score(noshow_model_dir):
    # given
    history = generated_history(days=6, per_day=4, patients=6)

    # when
    score = appointment_risk_score(history.appointments[-1])

    # then
    assert score is None


def test_the_active_model_scores_a_booking(noshow_model_dir):
    # given
    model = train_active_model()
    appointment = Appointment.objects.order_by("-pk").first()

    # when
    score = appointment_risk_score(appointment)

    # then
    assert isinstance(score, RiskScore)
    assert score.model_id == model.pk
    assert 0.0 <= score.risk <= 1.0
    assert 0.0 <= score.risk_fair <= 1.0
    expected = (
        "high"
        if score.risk >= model.threshold_high
        else "medium"
        if score.risk >= model.threshold_medium
        else "low"
    )
    assert score.band == expected


def test_patients_who_often_missed_score_higher_on_their_next_booking():
    # given a model trained on a history where a third of the patients often missed
    history = generated_history()
    noshow_model_train_own(actor=Actor.system(), grid=TINY_GRID, activate=True)
    session, slot = session_on(
        history.doctors[0],
        timezone.localdate() + datetime.timedelta(days=1),
        clinic_type="general",
    )
    now = timezone.now()
    new = {
        profile.pk: appointment_row(
            profile=profile,
            session=session,
            slot=slot,
            status=Appointment.Status.BOOKED,
            booked_at=now,
        )
        for profile in history.profiles
    }

    # when each books the same session now
    risk = {pk: appointment_risk_score(booking).risk for pk, booking in new.items()}

    # then
    flaky = [risk[pk] for pk in history.flaky]
    reliable = [risk[pk] for pk in risk if pk not in history.flaky]
    assert sum(flaky) / len(flaky) > sum(reliable) / len(reliable) + 0.1


def test_scores_follow_the_newly_activated_version(noshow_model_dir):
    # given
    first = train_active_model()
    appointment = Appointment.objects.order_by("-pk").first()
    assert appointment_risk_score(appointment).model_id == first.pk
    second = noshow_model_train_own(actor=Actor.system(), grid=TINY_GRID)

    # when
    noshow_model_activate(model=second, actor=Actor.system())

    # then
    assert appointment_risk_score(appointment).model_id == second.pk
    assert NoShowModel.objects.get(is_active=True) == second


def test_a_model_file_that_was_altered_is_not_used(noshow_model_dir):
    # given
    model = train_active_model()
    path = noshow_model_dir / model.file_name
    path.write_bytes(path.read_bytes() + b"x")
    NoShowModel.objects.filter(pk=model.pk).update(file_sha256="0" * 64)
    appointment = Appointment.objects.order_by("-pk").first()

    # when
    score = appointment_risk_score(appointment)

    # then
    assert score is None


def test_scoring_takes_a_fixed_number_of_queries(django_assert_num_queries):
    # given a loaded model, and two bookings with different histories
    history = generated_history()
    noshow_model_train_own(actor=Actor.system(), grid=TINY_GRID, activate=True)
    first, second = history.appointments[-1], history.appointments[-40]
    appointment_risk_score(first)
    cache.clear()
    second = Appointment.objects.select_related(
        "profile", "session", "doctor", "user__member_level_floor"
    ).get(pk=second.pk)

    # when / then: the active row, levels, points balance, the person's bookings, and
    # the overall, department and doctor counts
    with django_assert_num_queries(7):
        appointment_risk_score(second)
    # the day's counts come from the cache for the next booking of that day
    with django_assert_num_queries(4):
        appointment_risk_score(second)

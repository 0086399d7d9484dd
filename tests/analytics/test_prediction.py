import pytest

from analytics.models import NoShowModel
from analytics.noshow.services import noshow_model_activate, noshow_model_train_own
from analytics.prediction import RiskScore, appointment_risk_score
from appointments.models import Appointment
from common.services import Actor
from tests.analytics.noshow_helpers import (
    TINY_GRID,
    generated_history,
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


def test_a_flaky_patient_scores_higher_than_a_reliable_one(noshow_model_dir):
    # given
    train_active_model()
    last_day = Appointment.objects.order_by("-session__date").first().session.date
    on_last_day = Appointment.objects.filter(session__date=last_day).select_related(
        "profile"
    )
    flaky_history = {
        a.pk: Appointment.objects.filter(
            profile=a.profile, status=Appointment.Status.NO_SHOW
        ).count()
        for a in on_last_day
    }
    most = max(on_last_day, key=lambda a: flaky_history[a.pk])
    least = min(on_last_day, key=lambda a: flaky_history[a.pk])

    # when
    high, low = appointment_risk_score(most), appointment_risk_score(least)

    # then
    assert flaky_history[most.pk] > flaky_history[least.pk]
    assert high.risk > low.risk


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

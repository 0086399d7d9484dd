"""Scoring past bookings in bulk (manage.py noshow_score_past) for the dashboards."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from analytics.noshow.backfill import past_bookings_score
from analytics.prediction import appointment_risk_score
from appointments.models import Appointment, Notification
from appointments.services.noshow_risk import permille
from tests.analytics.noshow_helpers import generated_history, train_active_model

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("noshow_model_dir")]

S = Appointment.Status


def past_unscored():
    return Appointment.objects.filter(
        noshow_risk__isnull=True, visit_starts_at__lt=timezone.now()
    ).exclude(status=S.CANCELLED)


def test_past_bookings_get_the_same_risk_as_scoring_one_at_a_time():
    # given: a history made before the model, and the model
    model = train_active_model()
    pending = list(past_unscored().order_by("pk"))
    assert len(pending) > 50
    one_by_one = {a.pk: appointment_risk_score(a) for a in pending[::10]}
    notifications = Notification.objects.count()

    # when
    written = past_bookings_score()

    # then: every one scored, as the booking-time path scores it, nobody contacted
    assert written == len(pending)
    assert not past_unscored().exists()
    for pk, score in one_by_one.items():
        stored = Appointment.objects.get(pk=pk)
        assert (stored.noshow_risk, stored.noshow_risk_band) == (
            permille(score.risk),
            score.band,
        )
        assert (stored.noshow_risk_fair, stored.noshow_fair_band) == (
            permille(score.risk_fair),
            score.fair_band,
        )
        assert stored.noshow_model_id == model.pk
    assert Notification.objects.count() == notifications


def test_upcoming_and_already_scored_bookings_are_left_alone():
    # given: one booking whose visit is still ahead, one scored already
    train_active_model()
    upcoming, scored = past_unscored().order_by("pk")[:2]
    Appointment.objects.filter(pk=upcoming.pk).update(
        visit_starts_at=timezone.now() + datetime.timedelta(days=3)
    )
    Appointment.objects.filter(pk=scored.pk).update(
        noshow_risk=999, noshow_risk_band="high"
    )

    # when
    past_bookings_score()

    # then
    assert Appointment.objects.get(pk=upcoming.pk).noshow_risk is None
    assert Appointment.objects.get(pk=scored.pk).noshow_risk == 999


def test_since_limits_the_visits_scored():
    train_active_model()
    days = sorted(set(past_unscored().values_list("session__date", flat=True)))
    since = days[len(days) // 2]

    written = past_bookings_score(since=since)

    assert written == Appointment.objects.filter(noshow_risk__isnull=False).count()
    assert not past_unscored().filter(session__date__gte=since).exists()
    assert past_unscored().filter(session__date__lt=since).exists()


def test_without_an_active_model_the_command_says_so_and_writes_nothing():
    generated_history()

    with pytest.raises(CommandError) as excinfo:
        call_command("noshow_score_past", stdout=io.StringIO(), stderr=io.StringIO())

    assert "No no-show model is active" in str(excinfo.value)
    assert not Appointment.objects.filter(noshow_risk__isnull=False).exists()


def test_the_command_prints_how_many_it_scored_and_refuses_a_bad_date():
    train_active_model()
    count = past_unscored().count()
    out = io.StringIO()

    call_command("noshow_score_past", stdout=out, stderr=io.StringIO())
    with pytest.raises(CommandError) as excinfo:
        call_command("noshow_score_past", since="2026-13-01", stdout=io.StringIO())

    assert out.getvalue() == f"Scored {count} past bookings.\n"
    assert str(excinfo.value) == "--since '2026-13-01': expected YYYY-MM-DD"

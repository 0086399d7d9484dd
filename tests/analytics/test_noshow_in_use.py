"""The no-show model in use: each new booking is scored after it commits by the active
model (a real small one, trained on a generated history), the risk is recorded on the
booking, and a high-risk one is contacted; without a model booking goes on unchanged."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from analytics.prediction import appointment_risk_score
from analytics.scoring import booking_noshow_score, unscored_bookings_score
from appointments.models import Appointment, Notification, Reminder
from appointments.services import appointment_book
from common.services import Actor
from tests.accounts.factories import PatientProfileFactory
from tests.analytics.noshow_helpers import (  # noqa: F401 (a fixture)
    generated_history,
    noshow_model_dir,
    train_active_model,
)
from tests.scheduling.factories import SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("noshow_model_dir")]

ACTOR = Actor.system()
S = Appointment.Status


def book_ahead(profile, doctor, *, days: int = 5, capacity: int = 5) -> Appointment:
    """A free booking with `doctor` `days` ahead, as the patient would make it."""
    slot = SlotFactory(
        session__doctor=doctor,
        session__date=timezone.localdate() + datetime.timedelta(days=days),
        session__fee=0,
        capacity=capacity,
    )
    return appointment_book(actor=ACTOR, user=profile.user, profile=profile, slot=slot)


def test_a_new_booking_is_scored_after_it_commits(django_capture_on_commit_callbacks):
    # given
    model = train_active_model()
    history = generated_history(days=1, per_day=1, patients=1, seed=3)
    profile = history.profiles[0]

    # when
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_ahead(profile, history.doctors[0])

    # then
    appointment.refresh_from_db()
    expected = appointment_risk_score(
        Appointment.objects.select_related(
            "profile", "session", "doctor", "user__member_level"
        ).get(pk=appointment.pk)
    )
    assert appointment.noshow_model_id == model.pk
    assert appointment.noshow_risk == round(expected.risk * 1000)
    assert appointment.noshow_risk_fair == round(expected.risk_fair * 1000)
    assert (appointment.noshow_risk_band, appointment.noshow_fair_band) == (
        expected.band,
        expected.fair_band,
    )


def test_high_risk_bookings_and_only_they_get_the_confirm_request(
    django_capture_on_commit_callbacks,
):
    # given: the trained history's patients, the often-missing ones among them
    train_active_model()
    doctor = Appointment.objects.order_by("pk").first().doctor
    profiles = {a.profile for a in Appointment.objects.select_related("profile")}

    slot = SlotFactory(
        session__doctor=doctor,
        session__date=timezone.localdate() + datetime.timedelta(days=6),
        session__fee=0,
        capacity=len(profiles),
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        booked = [
            appointment_book(actor=ACTOR, user=p.user, profile=p, slot=slot)
            for p in profiles
        ]

    # then
    bands = dict(
        Appointment.objects.filter(pk__in=[a.pk for a in booked]).values_list(
            "pk", "noshow_risk_band"
        )
    )
    high = {pk for pk, band in bands.items() if band == "high"}
    asked = set(
        Notification.objects.filter(event="confirm_request").values_list(
            "appointment_id", flat=True
        )
    )
    extra = set(
        Reminder.objects.filter(kind=Reminder.Kind.RISK_EXTRA).values_list(
            "appointment_id", flat=True
        )
    )
    assert "" not in bands.values()
    assert high  # the often-missing patients score high
    assert high != set(bands)
    assert asked == extra == high


def test_scoring_again_changes_nothing(django_capture_on_commit_callbacks):
    # given
    train_active_model()
    profile = Appointment.objects.order_by("pk").first().profile
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_ahead(profile, Appointment.objects.first().doctor)
    scored = Appointment.objects.get(pk=appointment.pk)
    notifications = Notification.objects.count()

    # when
    outcome = booking_noshow_score(appointment_id=appointment.pk)

    # then
    assert outcome == "not_found_or_scored"
    assert Appointment.objects.get(pk=appointment.pk).noshow_risk == scored.noshow_risk
    assert Notification.objects.count() == notifications


def test_without_an_active_model_booking_is_unaffected(
    django_capture_on_commit_callbacks,
):
    # given
    history = generated_history(days=2, per_day=2, patients=2)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        appointment = book_ahead(history.profiles[0], history.doctors[0])

    # then
    appointment.refresh_from_db()
    assert appointment.status == S.BOOKED
    assert (appointment.noshow_risk, appointment.noshow_risk_band) == (None, "")
    assert booking_noshow_score(appointment_id=appointment.pk) == "no_active_model"
    assert not Notification.objects.filter(event="confirm_request").exists()


def test_risk_never_refuses_a_booking(django_capture_on_commit_callbacks):
    # given: every patient of the history, the riskiest included, books the last seats
    train_active_model()
    doctor = Appointment.objects.order_by("pk").first().doctor
    profiles = list({a.profile for a in Appointment.objects.select_related("profile")})
    slot = SlotFactory(
        session__doctor=doctor,
        session__date=timezone.localdate() + datetime.timedelta(days=4),
        session__fee=0,
        capacity=len(profiles),
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        booked = [
            appointment_book(actor=ACTOR, user=p.user, profile=p, slot=slot)
            for p in profiles
        ]

    # then
    assert [a.status for a in booked] == [S.BOOKED] * len(profiles)
    assert "high" in set(
        Appointment.objects.filter(slot=slot).values_list("noshow_risk_band", flat=True)
    )


def test_the_sweep_scores_bookings_whose_task_was_lost():
    # given: booked without the on-commit scoring (a lost task), a few minutes ago
    train_active_model()
    profile = Appointment.objects.order_by("pk").first().profile
    appointment = book_ahead(profile, Appointment.objects.first().doctor)
    assert Appointment.objects.get(pk=appointment.pk).noshow_risk is None

    # when
    scored = unscored_bookings_score(now=timezone.now() + datetime.timedelta(minutes=5))

    # then
    assert scored == 1
    assert Appointment.objects.get(pk=appointment.pk).noshow_risk is not None


def test_sex_and_age_never_change_the_fair_risk():
    # given: two bookings alike but for the patient's sex and birth year
    train_active_model()
    doctor = Appointment.objects.order_by("pk").first().doctor
    base = Appointment.objects.select_related("profile").order_by("pk").first().profile
    a = book_ahead(base, doctor, days=3)
    other = type(base).objects.get(pk=base.pk)
    a_row = Appointment.objects.select_related(
        "profile", "session", "doctor", "user__member_level"
    ).get(pk=a.pk)
    twin = Appointment.objects.select_related(
        "profile", "session", "doctor", "user__member_level"
    ).get(pk=a.pk)
    other.gender = "female" if base.gender == "male" else "male"
    other.birth_year = base.birth_year - 40
    twin.profile = other

    # when
    original, changed = appointment_risk_score(a_row), appointment_risk_score(twin)

    # then: the release (judged by the fair risk) cannot differ
    assert original.risk_fair == changed.risk_fair
    assert original.fair_band == changed.fair_band


def test_bookings_made_before_the_first_model_are_scored_once_it_is_active():
    # given: an upcoming booking made a week before any model existed
    with time_machine.travel(timezone.now() - datetime.timedelta(days=7)):
        profile = PatientProfileFactory()
        slot = SlotFactory(
            session__date=timezone.localdate() + datetime.timedelta(days=14),
            capacity=3,
            session__fee=0,
        )
        early = appointment_book(
            actor=ACTOR, user=profile.user, profile=profile, slot=slot
        )
    assert unscored_bookings_score() == 0  # no model yet: nothing to score with

    # when: a model is activated and the sweep runs
    train_active_model()
    scored = unscored_bookings_score()

    # then
    assert scored == 1
    assert Appointment.objects.get(pk=early.pk).noshow_risk is not None

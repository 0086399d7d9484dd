"""History features count only what was known when the booking was made."""

import datetime
import zoneinfo

import pytest

from accounts.models import PointsEntry
from analytics.ml.visits import RATE_PRIOR_VISITS, Visit, history_counts
from analytics.noshow.own_history import own_visits, visit_and_counts
from appointments.models import Appointment
from scheduling.rules import local_datetime
from tests.accounts.factories import default_levels
from tests.analytics.noshow_helpers import (
    appointment_row,
    generated_history,
    session_on,
)
from tests.appointments.factories import PatientProfileFactory
from tests.hospitals.factories import DoctorFactory

ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
BOOKING_DAY = datetime.date(2026, 3, 10)
BOOKED_AT = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=ZONE)


def visit(
    *,
    visit_date: datetime.date,
    booked_at: datetime.datetime,
    no_show: bool | None,
    patient: str = "p",
    department: str = "d",
) -> Visit:
    return Visit(
        patient=patient,
        booked_at=booked_at,
        booked_on=booked_at.date(),
        visit_date=visit_date,
        department=department,
        no_show=no_show,
    )


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def test_only_visits_before_the_booking_day_count_as_earlier_no_shows():
    # given a booking made on 10 March at 10:00, and the patient's other visits
    target = visit(visit_date=BOOKING_DAY + days(5), booked_at=BOOKED_AT, no_show=False)
    before = visit(
        visit_date=BOOKING_DAY - days(1), booked_at=BOOKED_AT - days(9), no_show=True
    )
    on_the_booking_day = visit(
        visit_date=BOOKING_DAY, booked_at=BOOKED_AT - days(3), no_show=True
    )
    after_the_booking = visit(
        visit_date=BOOKING_DAY + days(2), booked_at=BOOKED_AT - days(2), no_show=True
    )

    # when
    counts = history_counts([target, before, on_the_booking_day, after_the_booking])[0]

    # then only the visit of the day before is a known outcome
    assert (counts.prior_visits, counts.prior_no_shows) == (1, 1)
    # all three were booked before, so they are known bookings
    assert counts.prior_bookings == 3
    # the two still ahead on 10 March (the one that day and the one on the 12th)
    assert counts.pending_bookings == 2
    assert counts.days_since_prev_booking == 2.0


def test_bookings_made_after_this_one_are_not_counted():
    # given a second booking for the same day, made an hour later
    target = visit(visit_date=BOOKING_DAY + days(3), booked_at=BOOKED_AT, no_show=False)
    later = visit(
        visit_date=BOOKING_DAY + days(3),
        booked_at=BOOKED_AT + datetime.timedelta(hours=1),
        no_show=True,
    )

    # when
    first, second = history_counts([target, later])

    # then the first booking does not know of the second; the second knows of the first
    assert (first.prior_bookings, first.same_day_bookings) == (0, 0)
    assert (second.prior_bookings, second.same_day_bookings) == (1, 1)
    assert first.days_since_prev_booking == -1.0


def test_the_department_rate_uses_only_earlier_days_of_everyone():
    # given two patients' earlier visits in the department, one on the booking day
    target = visit(visit_date=BOOKING_DAY + days(1), booked_at=BOOKED_AT, no_show=False)
    others = [
        visit(
            patient="q",
            visit_date=BOOKING_DAY - days(2),
            booked_at=BOOKED_AT - days(5),
            no_show=True,
        ),
        visit(
            patient="r",
            visit_date=BOOKING_DAY - days(1),
            booked_at=BOOKED_AT - days(5),
            no_show=False,
        ),
        visit(
            patient="s",
            visit_date=BOOKING_DAY,
            booked_at=BOOKED_AT - days(1),
            no_show=True,
        ),
    ]

    # when
    counts = history_counts([target, *others])[0]

    # then: 1 no-show in 2 known visits, smoothed towards the overall rate (also 1 in 2)
    assert counts.department_visits == 2
    assert counts.department_rate == pytest.approx(
        (1 + RATE_PRIOR_VISITS * 0.5) / (2 + RATE_PRIOR_VISITS)
    )
    assert (counts.prior_visits, counts.prior_no_shows) == (0, 0)


@pytest.mark.django_db
def test_own_history_counts_the_same_without_leakage():
    # given a patient's bookings at one doctor: a no-show the day before the booking,
    # a no-show on the booking day, and a no-show after the booking
    doctor = DoctorFactory()
    profile = PatientProfileFactory()

    def booking(
        day: datetime.date, booked: datetime.datetime, status: str
    ) -> Appointment:
        session, slot = session_on(doctor, day, clinic_type="general")
        return appointment_row(
            profile=profile, session=session, slot=slot, status=status, booked_at=booked
        )

    booked = local_datetime(BOOKING_DAY, datetime.time(10, 0))
    booking(BOOKING_DAY - days(1), booked - days(5), Appointment.Status.NO_SHOW)
    booking(BOOKING_DAY, booked - days(4), Appointment.Status.NO_SHOW)
    booking(BOOKING_DAY + days(1), booked - days(3), Appointment.Status.NO_SHOW)
    target = booking(BOOKING_DAY + days(6), booked, Appointment.Status.COMPLETED)

    # when counted for training (all rows) and for scoring (queries for one booking)
    visits = own_visits()
    batch = history_counts(visits)[[v.booked_at for v in visits].index(booked)]
    _visit, single = visit_and_counts(target)

    # then only the day before counts, both ways, and the two agree on everything
    assert (batch.prior_visits, batch.prior_no_shows) == (1, 1)
    assert single == batch


@pytest.mark.django_db
def test_scoring_counts_agree_with_training_counts_on_a_generated_history():
    # given
    history = generated_history(days=8, per_day=6, patients=6)
    batch = history_counts(own_visits())  # in the order of the appointments' ids
    position = {
        pk: index
        for index, pk in enumerate(
            Appointment.objects.order_by("pk").values_list("pk", flat=True)
        )
    }

    # when / then
    for appointment in history.appointments[-12:]:
        _visit, single = visit_and_counts(appointment)
        assert single == batch[position[appointment.pk]]


@pytest.mark.django_db
def test_the_member_level_is_the_one_reached_at_booking_time():
    # given 300 points before the booking (silver) and 1,200 after it (gold)
    default_levels()
    doctor = DoctorFactory()
    profile = PatientProfileFactory()
    booked = local_datetime(BOOKING_DAY, datetime.time(10, 0))
    session, slot = session_on(doctor, BOOKING_DAY + days(2), clinic_type="general")
    target = appointment_row(
        profile=profile,
        session=session,
        slot=slot,
        status=Appointment.Status.COMPLETED,
        booked_at=booked,
    )
    for number, (moment, balance) in enumerate(
        [(booked - days(3), 300), (booked + days(3), 1200)]
    ):
        entry = PointsEntry.objects.create(
            user=profile.user,
            delta=balance,
            balance_after=balance,
            source_type=PointsEntry.Source.APPOINTMENT_COMPLETED,
            source_id=f"x{number}",
        )
        PointsEntry.objects.filter(pk=entry.pk).update(created_at=moment)

    # when
    batch = own_visits()[0]
    single, _counts = visit_and_counts(target)

    # then
    assert batch.member_level == 200
    assert single.member_level == 200

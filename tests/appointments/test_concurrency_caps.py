"""One user's concurrent bookings against the caps, and stop-clinic racing bookings.

Real threads on the real engine (MariaDB/MySQL in CI), skipped on SQLite, which serialises
writers and so cannot show these races.
"""

import datetime
from collections import Counter

import pytest
from django.utils import timezone

from appointments.models import Appointment
from appointments.services import session_stop
from common.services import Actor
from scheduling.models import ClinicSession, Slot
from tests.appointments.booking_helpers import booking_job, outcome, same_person
from tests.appointments.factories import PatientProfileFactory
from tests.race import needs_row_locks, run_at_once
from tests.scheduling.factories import (
    BookingRuleFactory,
    ClinicSessionFactory,
    SlotFactory,
)

pytestmark = [
    pytest.mark.clock,
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]

ACTOR = Actor.system()
DAY = datetime.timedelta(days=1)


def test_one_users_concurrent_bookings_on_one_day_stop_at_the_daily_cap():
    # given: at most 2 bookings a day; one person on 12 accounts, each racing for a seat
    # in a different session of the same day (so neither seats nor profiles collide)
    day = timezone.localdate() + 2 * DAY
    hospital = SlotFactory().session.hospital
    BookingRuleFactory(hospital=hospital, max_active_per_day=2, max_active_per_week=4)
    first = PatientProfileFactory()
    profiles = [first] + [same_person(first) for _ in range(11)]
    slots = [
        SlotFactory(session=ClinicSessionFactory(doctor__hospital=hospital, date=day))
        for _ in profiles
    ]

    for _ in range(3):  # a few rounds give the race more chances
        Appointment.objects.filter(profile__in=profiles).delete()
        Slot.objects.filter(pk__in=[s.pk for s in slots]).update(booked=0)

        # when
        results = run_at_once(
            [booking_job(p, s.pk) for p, s in zip(profiles, slots, strict=True)]
        )

        # then: exactly the cap, the rest refused, and no seat taken by a refusal
        assert Counter(outcome(r) for r in results) == {
            "booked": 2,
            "daily_limit_reached": 10,
        }
        assert Appointment.objects.filter(profile__in=profiles).count() == 2
        assert (
            sum(
                Slot.objects.filter(pk__in=[s.pk for s in slots]).values_list(
                    "booked", flat=True
                )
            )
            == 2
        )


def test_one_users_concurrent_bookings_over_a_week_stop_at_the_weekly_cap():
    # given: 3 a day but only 3 in any 7 days; one person on 12 accounts races for sessions
    # spread over days D..D+5 (two per day)
    day = timezone.localdate() + 2 * DAY
    hospital = SlotFactory().session.hospital
    BookingRuleFactory(
        hospital=hospital, max_active_per_day=3, max_active_per_week=3, window_days=14
    )
    first = PatientProfileFactory()
    profiles = [first] + [same_person(first) for _ in range(11)]
    slots = [
        SlotFactory(
            session=ClinicSessionFactory(
                doctor__hospital=hospital, date=day + (i // 2) * DAY
            )
        )
        for i in range(len(profiles))
    ]

    # when
    results = run_at_once(
        [booking_job(p, s.pk) for p, s in zip(profiles, slots, strict=True)]
    )

    # then
    outcomes = Counter(outcome(r) for r in results)
    assert outcomes["booked"] == 3, outcomes
    assert (
        outcomes["booked"]
        + outcomes["weekly_limit_reached"]
        + outcomes["daily_limit_reached"]
        == 12
    ), outcomes
    assert Appointment.objects.filter(profile__in=profiles).count() == 3


def test_stop_clinic_racing_bookings_leaves_no_booking_in_the_stopped_session():
    for _ in range(5):  # a few rounds give the race more chances
        # given: a session with seats and ten patients who will book while staff stop it
        first = SlotFactory(capacity=5, session__fee=0)
        session = first.session
        slots = [first, SlotFactory(session=session, capacity=5)]
        profiles = [PatientProfileFactory() for _ in range(10)]

        def stop(session_id=session.pk) -> object:
            return session_stop(
                actor=ACTOR,
                session=ClinicSession.objects.get(pk=session_id),
                reason="医生临时停诊",
            )

        jobs = [booking_job(p, slots[i % 2].pk) for i, p in enumerate(profiles)]
        jobs.insert(5, stop)

        # when
        results = run_at_once(jobs)

        # then: the stop went through; every booking either lost to it or was cancelled by it
        stop_result = results.pop(5)
        assert not isinstance(stop_result, Exception), stop_result
        outcomes = Counter(outcome(r) for r in results)
        assert set(outcomes) <= {"booked", "session_stopped"}, outcomes
        assert stop_result.cancelled == outcomes["booked"]
        assert (
            Appointment.objects.filter(
                session=session, status__in=Appointment.UPCOMING
            ).count()
            == 0
        )
        assert list(
            Slot.objects.filter(session=session).values_list("booked", flat=True)
        ) == [0, 0]

"""A patient's confirmation racing the release of their unconfirmed booking, on the real
engine (MariaDB/MySQL; skipped on SQLite, which serialises writers).

The release locks the appointment row and re-checks "not confirmed" before cancelling; the
confirmation is a compare-and-set on the same row. Whichever commits first wins: a
confirmation that answered success is never followed by a release.
"""

import datetime

import pytest
from django.utils import timezone

from appointments.errors import ErrorCode
from appointments.models import Appointment
from appointments.services import (
    appointment_confirm,
    appointment_release_unconfirmed,
    appointment_risk_record,
)
from common.errors import Conflict
from tests.appointments.notification_helpers import ACTOR, appointment_at
from tests.race import needs_row_locks, run_at_once

pytestmark = [
    pytest.mark.clock,
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]

S = Appointment.Status
PAIRS = 12


def unconfirmed_high_risk(visit: datetime.datetime) -> Appointment:
    appointment = appointment_at(visit, rule={"noshow_release_unconfirmed": True})
    appointment_risk_record(
        appointment_id=appointment.pk,
        risk=0.7,
        risk_fair=0.6,
        band="high",
        fair_band="high",
        model_id=1,
    )
    return Appointment.objects.get(pk=appointment.pk)


def test_a_confirmation_racing_the_release_is_never_lost():
    # given: bookings past their confirm deadline, not yet released
    visit = timezone.now() + datetime.timedelta(days=3)
    bookings = [
        unconfirmed_high_risk(visit + datetime.timedelta(hours=n)) for n in range(PAIRS)
    ]
    assert all(b.confirm_deadline is not None for b in bookings)
    now = max(b.confirm_deadline for b in bookings) + datetime.timedelta(minutes=1)

    def confirm(appointment_id: int):
        return lambda: appointment_confirm(
            actor=ACTOR,
            appointment=Appointment.objects.get(pk=appointment_id),
            now=now,
        )

    def release(appointment_id: int):
        return lambda: appointment_release_unconfirmed(
            appointment_id=appointment_id, now=now
        )

    # when: each booking's confirmation and release start together
    jobs = []
    for booking in bookings:
        jobs += [confirm(booking.pk), release(booking.pk)]
    results = run_at_once(jobs)

    # then: per booking, exactly one side won, and the loser was told clearly
    outcomes = []
    for n, booking in enumerate(bookings):
        confirmed, released = results[2 * n], results[2 * n + 1]
        booking.refresh_from_db()
        if isinstance(confirmed, Appointment):
            assert released is None
            assert (booking.status, booking.confirmed_at) == (S.BOOKED, now)
            outcomes.append("confirmed")
        else:
            assert isinstance(confirmed, Conflict), confirmed
            assert confirmed.code == ErrorCode.RELEASED_UNCONFIRMED
            assert isinstance(released, Appointment)
            assert booking.status == S.CANCELLED
            assert booking.confirmed_at is None
            outcomes.append("released")
    print(f"\nconfirm vs release, {PAIRS} races: {sorted(outcomes)}")  # noqa: T201

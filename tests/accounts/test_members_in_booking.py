"""Privileges at work in booking and cancelling, through the real appointment services.

Complements tests/appointments/test_membership.py: each level's own share of the early
seats, the public's share at release, and which cancels use the late-cancel quota.
"""

import datetime

import pytest
from django.utils import timezone

from accounts.models import LateCancelUse, MemberLevel
from appointments.models import Appointment
from appointments.services import appointment_book, appointment_cancel
from common.errors import Conflict
from common.services import Actor
from scheduling.models import Slot
from tests.accounts.factories import default_levels
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def levels() -> dict[str, MemberLevel]:
    return default_levels()


def member(level: MemberLevel):
    """A profile whose user holds `level` (granted, so it stays whatever the points)."""
    return PatientProfileFactory(
        user__member_level=level, user__member_level_floor=level
    )


def book(profile, slot, now):
    return appointment_book(
        actor=ACTOR, user=profile.user, profile=profile, slot=slot, now=now
    )


@pytest.fixture
def now() -> datetime.datetime:
    return timezone.now()


@pytest.fixture
def session(now):
    """A free session released in 10 hours: one slot of 10 seats."""
    session = ClinicSessionFactory(release_at=now + 10 * HOUR, fee=0)
    SlotFactory(session=session, capacity=10)
    return session


def the_slot(session) -> Slot:
    return session.slots.get()


# -- the reserved share --------------------------------------------------------------------


def test_a_gold_member_is_held_to_golds_smaller_share(levels, session, now):
    # gold: 10 % of 10 seats = 1 seat early
    slot = the_slot(session)
    gold_time = session.release_at - HOUR
    book(member(levels["gold"]), slot, gold_time)

    with pytest.raises(Conflict) as excinfo:
        book(member(levels["gold"]), slot, gold_time)

    assert excinfo.value.code == "priority_seats_taken"


def test_the_seats_not_taken_early_open_to_everyone_at_release(levels, session, now):
    # given: the VIPs took their 20 %
    slot = the_slot(session)
    for _ in range(2):
        book(member(levels["vip"]), slot, now)

    # when
    for _ in range(8):
        book(member(levels["normal"]), slot, session.release_at)

    # then
    slot.refresh_from_db()
    assert slot.booked == 10
    assert Appointment.objects.filter(booked_early=False).count() == 8


# -- late cancels --------------------------------------------------------------------------


@pytest.fixture
def two_bookings(levels):
    """Two booked appointments of one user in one session, and a moment past both
    cancel deadlines (120 minutes) but before both visits."""

    def make(level: MemberLevel):
        session = ClinicSessionFactory(fee=0)
        slots = [SlotFactory(session=session) for _ in range(2)]
        first = member(level)
        second = PatientProfileFactory(user=first.user)
        released = session.release_at + HOUR
        appointments = [
            book(first, slots[0], released),
            book(second, slots[1], released),
        ]
        late = slots[0].starts_at - datetime.timedelta(minutes=30)
        return appointments, late

    return make


def test_gold_cancels_late_once_a_month_and_the_second_is_refused(levels, two_bookings):
    # given
    (first, second), late = two_bookings(levels["gold"])

    # when
    appointment_cancel(actor=ACTOR, appointment=first, now=late)
    with pytest.raises(Conflict) as excinfo:
        appointment_cancel(actor=ACTOR, appointment=second, now=late)

    # then
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Appointment.Status.CANCELLED
    assert second.status == Appointment.Status.BOOKED
    assert excinfo.value.code == "cancel_deadline_passed"
    assert list(LateCancelUse.objects.values_list("appointment_id", flat=True)) == [
        first.pk
    ]


def test_a_normal_member_cannot_cancel_after_the_deadline(levels, two_bookings):
    (first, _), late = two_bookings(levels["normal"])

    with pytest.raises(Conflict) as excinfo:
        appointment_cancel(actor=ACTOR, appointment=first, now=late)

    assert excinfo.value.code == "cancel_deadline_passed"
    first.refresh_from_db()
    assert first.status == Appointment.Status.BOOKED
    assert LateCancelUse.objects.exists() is False


def test_a_cancel_before_the_deadline_uses_no_quota(levels, two_bookings):
    (first, _), late = two_bookings(levels["gold"])

    appointment_cancel(
        actor=ACTOR, appointment=first, now=late - datetime.timedelta(hours=2)
    )

    first.refresh_from_db()
    assert first.status == Appointment.Status.CANCELLED
    assert LateCancelUse.objects.exists() is False

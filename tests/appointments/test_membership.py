"""Member privileges as booking, cancellation and the waitlist see them (levels from data)."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import MemberLevel
from appointments.models import Appointment, WaitlistEntry
from appointments.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    waitlist_join,
)
from common.errors import Conflict
from common.services import Actor
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import BookingRuleFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
HOUR = datetime.timedelta(hours=1)


def member(code: str):
    profile = PatientProfileFactory()
    profile.user.member_level = MemberLevel.objects.get(code=code)
    profile.user.save(update_fields=["member_level"])
    return profile


def book(profile, slot, now=None):
    return appointment_book(
        actor=ACTOR, user=profile.user, profile=profile, slot=slot, now=now
    )


@pytest.fixture
def unreleased_slot():
    """A slot of a 10-seat session released tomorrow at 08:00, visited the day after."""
    release = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
    slot = SlotFactory(
        capacity=5,
        session__release_at=release,
        session__date=timezone.localdate() + datetime.timedelta(days=3),
    )
    SlotFactory(session=slot.session, capacity=5)
    return slot


def test_a_vip_books_inside_the_priority_window_while_a_normal_member_waits(
    unreleased_slot,
):
    release = unreleased_slot.session.release_at
    inside = release - 23 * HOUR  # VIP: 24 hours early

    vip = book(member("vip"), unreleased_slot, now=inside)
    with pytest.raises(Conflict) as normal:
        book(member("normal"), unreleased_slot, now=inside)
    with pytest.raises(Conflict) as gold:
        book(member("gold"), unreleased_slot, now=inside)  # gold: only 2 hours early

    assert vip.booked_early is True
    assert (normal.value.code, gold.value.code) == (
        "not_released_yet",
        "not_released_yet",
    )
    unreleased_slot.refresh_from_db()
    assert unreleased_slot.booked == 1


def test_the_priority_window_opens_at_the_exact_hour(unreleased_slot):
    release = unreleased_slot.session.release_at

    with pytest.raises(Conflict) as early:
        book(
            member("gold"),
            unreleased_slot,
            now=release - 2 * HOUR - datetime.timedelta(seconds=1),
        )
    on_time = book(member("gold"), unreleased_slot, now=release - 2 * HOUR)

    assert early.value.code == "not_released_yet"
    assert on_time.booked_early is True


def test_early_bookings_stop_at_the_levels_reserved_share(unreleased_slot):
    # given: 10 seats, VIP share 20 % = 2 seats before the public release
    before = unreleased_slot.session.release_at - HOUR
    book(member("vip"), unreleased_slot, now=before)
    book(member("vip"), unreleased_slot, now=before)

    # when
    with pytest.raises(Conflict) as third:
        book(member("vip"), unreleased_slot, now=before)

    # then: refused, nothing taken; at release everyone books the rest
    assert third.value.code == "priority_seats_taken"
    unreleased_slot.refresh_from_db()
    assert unreleased_slot.booked == 2
    public = book(
        member("normal"), unreleased_slot, now=unreleased_slot.session.release_at
    )
    assert public.booked_early is False


def test_a_cancelled_early_booking_gives_its_priority_seat_back(unreleased_slot):
    before = unreleased_slot.session.release_at - HOUR
    first = book(member("vip"), unreleased_slot, now=before)
    book(member("vip"), unreleased_slot, now=before)
    appointment_cancel(actor=ACTOR, appointment=first, now=before)

    again = book(member("vip"), unreleased_slot, now=before)

    assert again.booked_early is True


def _late_cancel(profile, slot):
    appointment = book(profile, slot)
    late = slot.starts_at - datetime.timedelta(
        minutes=30
    )  # deadline is 120 minutes before
    return appointment, late


def test_gold_may_cancel_late_once_a_month_and_normal_may_not():
    slot = SlotFactory(capacity=5, session__fee=0)
    BookingRuleFactory(hospital=slot.session.hospital, max_active_per_day=3)
    gold = member("gold")
    first, late = _late_cancel(gold, slot)
    second = book(PatientProfileFactory(user=gold.user), slot)
    normal, _ = _late_cancel(member("normal"), slot)

    appointment_cancel(actor=ACTOR, appointment=first, now=late)
    with pytest.raises(Conflict) as twice:
        appointment_cancel(actor=ACTOR, appointment=second, now=late)
    with pytest.raises(Conflict) as refused:
        appointment_cancel(actor=ACTOR, appointment=normal, now=late)

    first.refresh_from_db()
    assert first.status == Appointment.Status.CANCELLED
    assert (twice.value.code, refused.value.code) == (
        "cancel_deadline_passed",
        "cancel_deadline_passed",
    )
    second.refresh_from_db()
    normal.refresh_from_db()
    assert (second.status, normal.status) == (
        Appointment.Status.BOOKED,
        Appointment.Status.BOOKED,
    )


def test_a_higher_level_waits_ahead_of_earlier_patients():
    slot = SlotFactory(capacity=1)
    holder = book(PatientProfileFactory(), slot)
    earlier = PatientProfileFactory()
    vip = member("vip")
    waitlist_join(actor=ACTOR, user=earlier.user, profile=earlier, session=slot.session)
    vip_entry = waitlist_join(
        actor=ACTOR, user=vip.user, profile=vip, session=slot.session
    )

    appointment_cancel(actor=ACTOR, appointment=holder)

    vip_entry.refresh_from_db()
    assert vip_entry.priority == 3
    assert vip_entry.status == WaitlistEntry.Status.PROMOTED


def test_a_completed_visit_earns_points_once(settings):
    settings.POINTS_PER_COMPLETED_VISIT = 20
    slot = SlotFactory(session__fee=0)
    profile = PatientProfileFactory()
    appointment = book(profile, slot)
    appointment_check_in(
        actor=ACTOR, appointment=appointment, by_staff=True, now=slot.starts_at
    )

    appointment_complete(actor=ACTOR, appointment=appointment)
    with pytest.raises(Conflict):
        appointment_complete(actor=ACTOR, appointment=appointment)

    profile.user.refresh_from_db()
    assert profile.user.points == 20

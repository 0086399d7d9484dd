"""Sessions generated at the edges of time: at their release instant, and while under way."""

import datetime

import pytest

from appointments.models import Appointment
from appointments.services import appointment_book
from common.errors import Conflict
from common.services import Actor
from scheduling.models import ClinicSession, Period
from scheduling.services import sessions_generate
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.factories import ScheduleTemplateFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor.system()
WEEK = datetime.timedelta(days=7)


def test_a_session_generated_exactly_at_its_release_instant_is_released_and_bookable(
    frozen,
):
    # given: default rule (7-day window, 08:00 release): next Monday opens today at 08:00
    ScheduleTemplateFactory(weekday=0, period=Period.MORNING)
    frozen.move_to(at(MONDAY, 8, 0, 0))

    # when
    sessions_generate()

    # then: released at once, and a patient can book it at this very instant
    session = ClinicSession.objects.get(date=MONDAY + WEEK)
    assert session.release_at == at(MONDAY, 8, 0)
    assert session.is_released is True
    profile = PatientProfileFactory()
    appointment = appointment_book(
        actor=ACTOR,
        user=profile.user,
        profile=profile,
        slot=session.slots.order_by("starts_at").first(),
    )
    assert appointment.status in (
        Appointment.Status.PENDING_PAYMENT,
        Appointment.Status.BOOKED,
    )


def test_a_session_generated_one_second_before_its_release_is_not_released(frozen):
    ScheduleTemplateFactory(weekday=0, period=Period.MORNING)
    frozen.move_to(at(MONDAY, 7, 59, 59))

    sessions_generate()

    session = ClinicSession.objects.get(date=MONDAY + WEEK)
    assert session.is_released is False
    profile = PatientProfileFactory()
    with pytest.raises(Conflict) as excinfo:
        appointment_book(
            actor=ACTOR,
            user=profile.user,
            profile=profile,
            slot=session.slots.order_by("starts_at").first(),
        )
    assert excinfo.value.code == "not_released_yet"
    assert session.slots.filter(booked__gt=0).exists() is False


def test_a_session_already_under_way_is_generated_with_all_its_slots(frozen):
    # given: a 08:00-12:00 morning, generated at 10:15 on the day
    ScheduleTemplateFactory(
        weekday=0,
        period=Period.MORNING,
        start_time=datetime.time(8, 0),
        end_time=datetime.time(12, 0),
        slot_minutes=60,
        seats_per_slot=2,
    )
    frozen.move_to(at(MONDAY, 10, 15))

    # when
    created = sessions_generate(days=0)

    # then: the session exists, visible, with the queue numbers of the whole morning
    assert created == 1
    session = ClinicSession.objects.get(date=MONDAY)
    assert session.is_released is True
    slots = list(session.slots.order_by("starts_at"))
    assert [(s.starts_at, s.queue_start) for s in slots] == [
        (at(MONDAY, 8), 1),
        (at(MONDAY, 9), 3),
        (at(MONDAY, 10), 5),
        (at(MONDAY, 11), 7),
    ]

    # and: a started slot is refused, a later one still bookable
    profile = PatientProfileFactory()
    with pytest.raises(Conflict) as excinfo:
        appointment_book(actor=ACTOR, user=profile.user, profile=profile, slot=slots[2])
    assert excinfo.value.code == "slot_in_past"
    later = appointment_book(
        actor=ACTOR, user=profile.user, profile=profile, slot=slots[3]
    )
    assert later.queue_no == 7


def test_a_session_is_not_generated_at_the_instant_it_ends(frozen):
    ScheduleTemplateFactory(
        weekday=0,
        period=Period.MORNING,
        start_time=datetime.time(8, 0),
        end_time=datetime.time(12, 0),
    )
    frozen.move_to(at(MONDAY, 12, 0))

    assert sessions_generate(days=0) == 0
    assert ClinicSession.objects.exists() is False

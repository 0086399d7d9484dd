"""Factories for scheduling: booking rules, weekly templates, sessions and slots.

Defaults describe a bookable seat: SlotFactory() is a 30-minute slot with 5 seats, in an open
morning session two days ahead that was released yesterday.
"""

import datetime

import factory
from django.utils import timezone

from scheduling.models import (
    BookingRule,
    ClinicSession,
    Period,
    ScheduleTemplate,
    Slot,
)
from scheduling.rules import local_datetime
from tests.hospitals.factories import DoctorFactory, HospitalFactory

SESSION_START = datetime.time(8, 0)
SESSION_END = datetime.time(12, 0)


def _in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


class BookingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BookingRule
        django_get_or_create = ("hospital",)

    hospital = factory.SubFactory(HospitalFactory)


class ScheduleTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScheduleTemplate

    doctor = factory.SubFactory(DoctorFactory)
    weekday = 0
    period = Period.MORNING
    start_time = SESSION_START
    end_time = SESSION_END
    slot_minutes = 30
    seats_per_slot = 5


class ClinicSessionFactory(factory.django.DjangoModelFactory):
    """An open session two days ahead, released yesterday."""

    class Meta:
        model = ClinicSession

    doctor = factory.SubFactory(DoctorFactory)
    hospital = factory.SelfAttribute("doctor.hospital")
    date = factory.LazyFunction(lambda: _in_days(2))
    period = Period.MORNING
    start_time = SESSION_START
    end_time = SESSION_END
    fee = factory.SelfAttribute("doctor.fee")
    place = factory.LazyAttribute(lambda o: f"{o.hospital.name} 门诊楼")
    release_at = factory.LazyFunction(
        lambda: timezone.now() - datetime.timedelta(days=1)
    )
    status = ClinicSession.Status.OPEN
    is_released = factory.LazyAttribute(lambda o: o.release_at <= timezone.now())


def _next_start(slot) -> datetime.datetime:
    """Slots of one session follow each other every 30 minutes from the session start."""
    session = slot.session
    last = session.slots.order_by("-starts_at").first() if session.pk else None
    if last is not None:
        return last.ends_at
    return local_datetime(session.date, session.start_time)


def _next_queue_start(slot) -> int:
    session = slot.session
    last = session.slots.order_by("-queue_start").first() if session.pk else None
    if last is not None:
        return last.queue_start + last.capacity
    return 1


class SlotFactory(factory.django.DjangoModelFactory):
    """A bookable slot: 5 seats, 30 minutes, in an open released session two days ahead."""

    class Meta:
        model = Slot

    session = factory.SubFactory(ClinicSessionFactory)
    starts_at = factory.LazyAttribute(_next_start)
    ends_at = factory.LazyAttribute(
        lambda o: o.starts_at + datetime.timedelta(minutes=30)
    )
    capacity = 5
    booked = 0
    queue_start = factory.LazyAttribute(_next_queue_start)

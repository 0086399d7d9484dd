"""Appointments for notification tests, booked through the real booking service."""

import datetime
import itertools
from zoneinfo import ZoneInfo

from django.utils import timezone

from appointments.models import Appointment, Notification
from appointments.services import appointment_book
from common.services import Actor
from scheduling.models import BookingRule
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import BookingRuleFactory, SlotFactory

ACTOR = Actor.system()
SHANGHAI = ZoneInfo("Asia/Shanghai")
PROFILE_PHONE = "13800138000"  # the phone appointment_at gives its patient's profile
_openids = itertools.count(1)


def at(
    year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0
) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def slot_ends_at(starts_at: datetime.datetime) -> datetime.datetime:
    """The end of a 30-minute slot starting at `starts_at`, cut at the end of its local day.

    A session is one date with a start and an end time (the database refuses an end before
    the start), so a slot cannot run past midnight; one starting at 23:50 ends at
    23:59:59.999999, the last moment a time of day can hold. Tests that book "a visit in two
    hours" may then run at any hour.
    """
    local = timezone.localtime(starts_at)
    end_of_day = timezone.make_aware(
        datetime.datetime.combine(local.date(), datetime.time.max)
    )
    return min(local + datetime.timedelta(minutes=30), end_of_day)


def appointment_at(
    starts_at: datetime.datetime,
    *,
    fee: int = 0,
    openid: str | None = "auto",
    rule: dict | None = None,
    profile=None,
) -> Appointment:
    """Book the slot starting at `starts_at` (local time, 30 minutes) as a patient would.

    A free slot is booked at once; a fee leaves it pending payment. `openid` "auto" gives
    the user a fresh openid; None leaves the user without one. A slot starting in the last
    half hour of a day ends with that day (see slot_ends_at), so any `starts_at` works.
    """
    if profile is None:
        if openid == "auto":
            openid = f"o-patient-{next(_openids)}"
        profile = PatientProfileFactory(user__wechat_openid=openid, phone=PROFILE_PHONE)
    local = timezone.localtime(starts_at)
    ends = slot_ends_at(local)
    slot = SlotFactory(
        session__date=local.date(),
        session__start_time=local.time(),
        session__end_time=ends.time(),
        session__fee=fee,
        session__doctor__fee=fee,
        starts_at=starts_at,
        ends_at=ends,
    )
    if rule:
        BookingRuleFactory(hospital=slot.session.hospital, **rule)
    appointment = appointment_book(
        actor=ACTOR, user=profile.user, profile=profile, slot=slot
    )
    # A free booking is confirmed to the patient at once; drop that row so each test sees
    # only the notifications its own event writes (test_booking covers the confirmation).
    Notification.objects.filter(appointment=appointment, event="booked").delete()
    return appointment


def rule_of(appointment: Appointment) -> BookingRule:
    return BookingRule.objects.get(hospital_id=appointment.hospital_id)

"""Sessions of today with patients on the clinic floor, for the queue and workspace tests.

The appointments are written straight to the table in the state a test needs (booking,
paying and checking in have their own tests); the queue services then act on them.
"""

import datetime
import itertools

from django.utils import timezone

from accounts.models import PatientProfile
from appointments.models import Appointment
from scheduling.models import ClinicSession, Slot
from tests.accounts.factories import PatientProfileFactory
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

_order = itertools.count(1)


def floor_session(**session_fields) -> ClinicSession:
    """An open morning session today (08:00-12:00) with one 4-hour slot of 30 seats."""
    session_fields.setdefault("date", timezone.localdate())
    session = ClinicSessionFactory(
        start_time=datetime.time(8, 0), end_time=datetime.time(12, 0), **session_fields
    )
    start = timezone.make_aware(
        datetime.datetime.combine(session.date, datetime.time(8, 0))
    )
    SlotFactory(
        session=session,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=4),
        capacity=30,
        queue_start=1,
    )
    return session


def on_floor(
    session: ClinicSession,
    *,
    queue_no: int,
    status: str = Appointment.Status.CHECKED_IN,
    profile: PatientProfile | None = None,
    checked_in_at: datetime.datetime | None = None,
) -> Appointment:
    profile = profile or PatientProfileFactory()
    slot: Slot = session.slots.order_by("starts_at").first()
    Slot.objects.filter(pk=slot.pk).update(booked=slot.booked + 1)
    checked_in = status != Appointment.Status.BOOKED
    return Appointment.objects.create(
        order_no=f"F{next(_order):010d}",
        user=profile.user,
        profile=profile,
        slot=slot,
        session=session,
        doctor=session.doctor,
        hospital=session.hospital,
        status=status,
        queue_no=queue_no,
        fee=session.fee,
        visit_starts_at=slot.starts_at,
        visit_ends_at=slot.ends_at,
        checked_in_at=(checked_in_at or timezone.now()) if checked_in else None,
    )

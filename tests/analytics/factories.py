"""A hospital's day for the dashboard tests: sessions, bookings in every status, refunds.

Rows are written straight to the tables (the booking and payment services have their own
tests); the slot counters are kept consistent with the seats the appointments hold.
"""

import datetime
import itertools
from dataclasses import dataclass

from django.contrib.auth.models import Permission
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from appointments.models import Appointment
from billing.models import Channel, PaymentOrder, Refund
from hospitals.models import Hospital
from scheduling.models import ClinicSession, Slot
from tests.accounts.factories import StaffFactory
from tests.appointments.factories import PatientProfileFactory
from tests.hospitals.factories import DoctorFactory
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

S = Appointment.Status
_numbers = itertools.count(1)
# What a clinic desk needs to open every list the figures link to.
DESK_PERMISSIONS = (
    "scheduling.view_clinicsession",
    "scheduling.view_slot",
    "appointments.view_appointment",
    "billing.view_refund",
)


def appointment_on(slot: Slot, *, status: str) -> Appointment:
    profile = PatientProfileFactory()
    session = slot.session
    slot.refresh_from_db()
    cancelled = status == S.CANCELLED
    appointment = Appointment.objects.create(
        order_no=f"D{next(_numbers):012d}",
        user=profile.user,
        profile=profile,
        slot=slot,
        session=session,
        doctor=session.doctor,
        hospital=session.hospital,
        status=status,
        queue_no=slot.queue_start + slot.booked,
        fee=session.fee,
        visit_starts_at=slot.starts_at,
        visit_ends_at=slot.ends_at,
        checked_in_at=timezone.now() if status in (S.CHECKED_IN, S.COMPLETED) else None,
        holds_seat=None if cancelled else True,
    )
    if not cancelled:
        Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)
    return appointment


def refund_for(appointment: Appointment, *, status: str) -> Refund:
    number = next(_numbers)
    order = PaymentOrder.objects.create(
        appointment=appointment,
        hospital_id=appointment.hospital_id,
        user=appointment.user,
        channel=Channel.DEV,
        out_trade_no=f"T{number:012d}",
        original_amount=appointment.fee,
        amount=appointment.fee,
        status=PaymentOrder.Status.REFUNDING,
        is_open=None,
        paid_at=timezone.now(),
        refunded_amount=appointment.fee,
    )
    return Refund.objects.create(
        order=order,
        kind=Refund.Kind.CANCEL,
        out_refund_no=f"R{number:012d}",
        amount=appointment.fee,
        status=status,
    )


@dataclass(frozen=True)
class DayExpected:
    sessions: int = 1
    booked: int = 5
    checked_in: int = 2
    no_shows: int = 1
    seats_left: int = 4
    pending_refunds: int = 1


def hospital_day(hospital: Hospital) -> DayExpected:
    """Today at `hospital`, plus rows that must not count (another day, a stopped clinic).

    Counted: one open session today with two 5-seat slots; in the first, two booked, one
    checked in, one completed and one no-show (5 booked, 2 checked in, 1 no-show, 0 seats
    left); in the second, an unpaid hold (not booked, takes a seat) and a cancellation
    (frees its seat): 4 seats left. One refund in progress; one done (not counted).
    """
    today = timezone.localdate()
    doctor = DoctorFactory(hospital=hospital)
    session = ClinicSessionFactory(doctor=doctor, date=today)
    first, second = SlotFactory(session=session), SlotFactory(session=session)
    for status in (S.BOOKED, S.BOOKED, S.CHECKED_IN, S.COMPLETED, S.NO_SHOW):
        appointment_on(first, status=status)
    appointment_on(second, status=S.PENDING_PAYMENT)
    cancelled = appointment_on(second, status=S.CANCELLED)
    refund_for(cancelled, status=Refund.Status.REFUNDING)

    # Not counted: a stopped session today, a session tomorrow, a finished refund.
    stopped = ClinicSessionFactory(
        doctor=DoctorFactory(hospital=hospital),
        date=today,
        status=ClinicSession.Status.STOPPED,
    )
    appointment_on(SlotFactory(session=stopped), status=S.CANCELLED)
    tomorrow = ClinicSessionFactory(
        doctor=doctor, date=today + datetime.timedelta(days=1)
    )
    done = appointment_on(SlotFactory(session=tomorrow), status=S.BOOKED)
    refund_for(done, status=Refund.Status.SUCCEEDED)
    return DayExpected()


def staff_with(hospital: Hospital, permissions=DESK_PERMISSIONS, **kwargs) -> User:
    """A hospital staff account with the given admin permissions (password Strong-pass-123)."""
    staff = StaffFactory(hospital=hospital, **kwargs)
    for name in permissions:
        app_label, codename = name.split(".")
        staff.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return staff

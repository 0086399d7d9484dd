"""The doctor's daily cap (hospitals.Doctor.max_patients_per_day): bookings over all the
doctor's sessions of one date, wherever a seat is taken."""

import datetime

import pytest

from appointments.models import Appointment, WaitlistEntry
from appointments.services import (
    appointment_cancel,
    appointment_expire,
    appointment_mark_paid,
    waitlist_join,
)
from common.errors import Conflict
from common.services import Actor
from hospitals.models import Doctor
from scheduling.models import Period, Slot
from scheduling.services import slot_add_seats
from tests.appointments.booking_helpers import book
from tests.appointments.factories import PatientProfileFactory
from tests.hospitals.factories import DoctorFactory
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

ACTOR = Actor.system()
DAY = datetime.timedelta(days=1)
T = datetime.time


def _two_sessions(doctor: Doctor, *, capacity: int = 5) -> tuple[Slot, Slot]:
    """A morning and an afternoon slot of `doctor` on one date."""
    morning = SlotFactory(session__doctor=doctor, capacity=capacity)
    afternoon = SlotFactory(
        session=ClinicSessionFactory(
            doctor=doctor,
            date=morning.session.date,
            period=Period.AFTERNOON,
            start_time=T(14),
            end_time=T(17),
        ),
        capacity=capacity,
    )
    return morning, afternoon


def _booked_seats(*slots: Slot) -> list[int]:
    return [Slot.objects.get(pk=slot.pk).booked for slot in slots]


def test_the_cap_counts_bookings_over_all_the_doctors_sessions_of_the_date():
    # given: at most 3 patients a day; two in the morning, one in the afternoon
    doctor = DoctorFactory(max_patients_per_day=3)
    morning, afternoon = _two_sessions(doctor)
    book(morning)
    book(morning)
    book(afternoon)

    # when
    with pytest.raises(Conflict) as excinfo:
        book(afternoon)

    # then: refused with its own code, and no seat taken
    assert excinfo.value.code == "doctor_daily_limit_reached"
    assert excinfo.value.message == (
        "This doctor sees at most 3 patients a day; that day is fully booked."
    )
    assert _booked_seats(morning, afternoon) == [2, 1]
    assert Appointment.objects.count() == 3


def test_the_check_under_the_lock_refuses_what_the_early_read_let_through(
    monkeypatch,
):
    # given: the early read without a lock is skipped, as when a booking passed it just
    # before another committed
    from appointments.services import seat_rules

    monkeypatch.setattr(seat_rules, "doctor_day_cap_precheck", lambda **kwargs: None)
    doctor = DoctorFactory(max_patients_per_day=1)
    morning, afternoon = _two_sessions(doctor)
    book(morning)

    # when
    with pytest.raises(Conflict) as excinfo:
        book(afternoon)

    # then: the seat taken for the check went back with the refusal
    assert excinfo.value.code == "doctor_daily_limit_reached"
    assert _booked_seats(morning, afternoon) == [1, 0]


def test_cancelled_bookings_other_dates_and_other_doctors_do_not_count():
    doctor = DoctorFactory(max_patients_per_day=1)
    morning, afternoon = _two_sessions(doctor)
    cancelled = book(morning)
    appointment_cancel(
        actor=ACTOR, appointment=cancelled, by=Appointment.CancelledBy.STAFF
    )
    book(SlotFactory(session__doctor=doctor, session__date=morning.session.date + DAY))
    book(SlotFactory(session__date=morning.session.date))  # another doctor

    appointment = book(afternoon)

    assert appointment.status == Appointment.Status.PENDING_PAYMENT
    assert _booked_seats(morning, afternoon) == [0, 1]


def test_a_doctor_without_a_cap_takes_as_many_as_the_seats():
    doctor = DoctorFactory(max_patients_per_day=None)
    morning, afternoon = _two_sessions(doctor, capacity=3)

    for slot in (morning, afternoon):
        for _ in range(3):
            book(slot)

    assert _booked_seats(morning, afternoon) == [3, 3]


def test_a_cap_raised_by_staff_applies_at_once():
    doctor = DoctorFactory(max_patients_per_day=1)
    morning, afternoon = _two_sessions(doctor)
    book(morning)
    Doctor.objects.filter(pk=doctor.pk).update(max_patients_per_day=2)

    book(Slot.objects.select_related("session__doctor").get(pk=afternoon.pk))

    assert _booked_seats(morning, afternoon) == [1, 1]


def test_added_seats_do_not_promote_past_the_doctors_cap_and_the_waitlist_keeps_waiting():
    # given: a full one-seat morning slot; the doctor's day is full with the afternoon
    doctor = DoctorFactory(max_patients_per_day=2)
    morning, afternoon = _two_sessions(doctor, capacity=1)
    book(morning)
    book(afternoon)
    waiting = PatientProfileFactory()
    entry = waitlist_join(
        actor=ACTOR, user=waiting.user, profile=waiting, session=morning.session
    )

    # when: staff add a seat (加号) to the morning slot
    slot_add_seats(actor=ACTOR, slot=morning, seats=1)

    # then: nobody was promoted past the cap; the patient still waits for a cancel
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING
    assert _booked_seats(morning, afternoon) == [1, 1]
    assert Appointment.objects.count() == 2


def test_a_late_payment_cannot_take_its_seat_back_on_a_full_day():
    # given: a booking whose hold expired; then the doctor's one place was taken
    doctor = DoctorFactory(max_patients_per_day=1)
    morning, afternoon = _two_sessions(doctor)
    late = book(morning)
    appointment_expire(actor=ACTOR, appointment_id=late.pk, now=late.hold_expires_at)
    book(afternoon)

    # when
    with pytest.raises(Conflict) as excinfo:
        appointment_mark_paid(actor=ACTOR, appointment=late)

    # then: refused as a seat no longer available (billing refunds it)
    assert excinfo.value.code == "seat_no_longer_available"
    assert excinfo.value.message == (
        "The doctor's day was fully booked before the payment arrived."
    )
    late.refresh_from_db()
    assert late.status == Appointment.Status.CANCELLED
    assert _booked_seats(morning, afternoon) == [0, 1]


def test_the_api_answers_409_with_the_code(api_client):
    from django.urls import reverse

    doctor = DoctorFactory(max_patients_per_day=1)
    morning, afternoon = _two_sessions(doctor)
    book(morning)
    profile = PatientProfileFactory()
    api_client.force_authenticate(profile.user)

    response = api_client.post(
        reverse("api:appointments:book"),
        {"slot_id": afternoon.pk, "profile_id": profile.pk},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "doctor_daily_limit_reached"
    assert _booked_seats(afternoon) == [0]


def test_a_patient_already_seen_still_counts_and_a_cancelled_one_does_not():
    # given: at most 2 a day; one seen in the morning, one cancelled
    doctor = DoctorFactory(max_patients_per_day=2)
    morning, afternoon = _two_sessions(doctor)
    seen = book(morning)
    Appointment.objects.filter(pk=seen.pk).update(status=Appointment.Status.COMPLETED)
    cancelled = book(morning)
    appointment_cancel(actor=ACTOR, appointment=cancelled)
    book(afternoon)

    # when: a third place would make three patients that day
    with pytest.raises(Conflict) as excinfo:
        book(afternoon)

    # then
    assert excinfo.value.code == "doctor_daily_limit_reached"

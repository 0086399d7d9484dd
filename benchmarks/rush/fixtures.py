"""The benchmark's data: a hospital, its sessions, and patients with tokens, per run.

One doctor holds, on different dates (so no patient's caps or sessions interfere):
- two identical hot sessions (K seats over a few 30-minute slots), one per endpoint;
- two identical large sessions (e.g. 2,000 seats: 20 ten-minute slots of 100), one per
  endpoint;
- one sold-out session: one seat per slot, each booked beforehand through the real
  service by a patient of its own.
Each booking workload has patients of its own (one user, one profile, one JWT each), who
book once: patient i goes to slot (i mod slots). The sold-out refusals are sent by the hot
sessions' patients before those sessions open, each at a slot of the sold-out session.
"""

import datetime
import json
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import PatientProfile, User
from appointments.models import Appointment, BookingTicket, WaitlistEntry
from appointments.selectors import slot_get_for_booking
from appointments.services.booking import appointment_book
from benchmarks.rush.load import Booking
from benchmarks.rush.patients import patients_create, tokens_issue
from common.models import IdempotencyKey, OperationLog
from common.services import Actor
from hospitals.models import Department, Doctor, Hospital
from hospitals.services import department_create, doctor_create, hospital_create
from scheduling.models import ClinicSession, Period, Slot
from scheduling.rules import local_datetime

SLOT_MINUTES = 30
MAX_SLOTS = 8  # 30-minute slots from 08:00: the session ends by noon
LARGE_SLOT_MINUTES = 10
LARGE_MAX_SLOTS = 30  # 10-minute slots from 08:00: the session ends by 13:00
SOLD_OUT_SEATS_PER_SLOT = 1

REAL_PATH = "/api/v1/appointments/book/"
NAIVE_PATH = "/api/v1/benchmarks/book-naive/"
ENDPOINTS = (("real", REAL_PATH), ("naive", NAIVE_PATH))


@dataclass
class Workload:
    name: str  # the phase: hot_real, hot_naive, large_real, large_naive
    path: str
    session_id: int
    bookings: list[Booking]


@dataclass
class BenchData:
    hot: list[Workload]
    large: list[Workload]
    sold_out_session_id: int
    refusals: list[Booking]
    patients: int  # patients created, fillers of the sold-out session included


def _session_create(
    *,
    doctor: Doctor,
    date: datetime.date,
    seats: int,
    slot_count: int,
    slot_minutes: int = SLOT_MINUTES,
) -> ClinicSession:
    """A morning session released yesterday: `seats` seats over `slot_count` slots.

    Built directly, as tests/scheduling/factories.py builds sessions: the benchmark needs
    seats spread unevenly when they do not divide (30 = 5 x 6, 31 = 6 + 5 x 5), which the
    scheduling services (equal seats per slot) do not make.
    """
    start = datetime.time(8, 0)
    first = local_datetime(date, start)
    length = datetime.timedelta(minutes=slot_minutes)
    session = ClinicSession(
        doctor=doctor,
        hospital_id=doctor.hospital_id,
        date=date,
        period=Period.MORNING,
        start_time=start,
        end_time=(first + slot_count * length).time(),
        fee=doctor.fee,
        place=f"{doctor.hospital.name} 门诊楼",
        release_at=timezone.now() - datetime.timedelta(days=1),
        is_released=True,
    )
    session.full_clean()
    session.save()
    base, extra = divmod(seats, slot_count)
    queue_start = 1
    for index in range(slot_count):
        capacity = base + (1 if index < extra else 0)
        slot = Slot(
            session=session,
            starts_at=first + index * length,
            ends_at=first + (index + 1) * length,
            capacity=capacity,
            queue_start=queue_start,
        )
        slot.full_clean()
        slot.save()
        queue_start += capacity
    return session


def _slot_ids(session_id: int) -> list[int]:
    return list(
        Slot.objects.filter(session_id=session_id)
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )


def _bookings(
    pairs: list[tuple[int, int]], tokens: dict[int, str], slot_ids: list[int]
) -> list[Booking]:
    """Patient i books slot (i mod slots), once."""
    return [
        Booking(
            token=tokens[user_id],
            body=json.dumps(
                {"slot_id": slot_ids[i % len(slot_ids)], "profile_id": profile_id}
            ).encode(),
            profile_id=profile_id,
        )
        for i, (user_id, profile_id) in enumerate(pairs)
    ]


def _doctor_create(*, tag: str) -> Doctor:
    actor = Actor.system()
    with transaction.atomic():
        hospital = hospital_create(
            actor=actor,
            name=f"压测医院 {tag}",
            level=Hospital.Level.GRADE_3A,
            region="北京市",
            address="压测路1号",
            phone="010-00000000",
        )
        department = department_create(actor=actor, hospital=hospital, name="压测科")
        return doctor_create(
            actor=actor,
            hospital=hospital,
            department=department,
            name="压测医生",
            title=Doctor.Title.ATTENDING,
            fee=2000,
        )


def bench_data_create(
    *,
    tag: str,
    seats: int,
    patients: int,
    slot_count: int,
    large_seats: int,
    large_patients: int,
    large_slot_count: int,
    token_lifetime: datetime.timedelta,
    first_serial: int = 0,
) -> BenchData:
    """Everything one run needs; `first_serial` keeps its people apart from other runs'."""
    doctor = _doctor_create(tag=tag)
    today = timezone.localdate()
    serial = first_serial
    shapes = (
        ("hot", seats, slot_count, SLOT_MINUTES, patients),
        ("large", large_seats, large_slot_count, LARGE_SLOT_MINUTES, large_patients),
    )
    workloads: dict[str, list[Workload]] = {"hot": [], "large": []}
    day = 2  # the booking window is a week from today; tomorrow may be past its cutoff
    for kind, kind_seats, kind_slots, minutes, count in shapes:
        for endpoint, path in ENDPOINTS:
            name = f"{kind}_{endpoint}"
            with transaction.atomic():
                session = _session_create(
                    doctor=doctor,
                    date=today + datetime.timedelta(days=day),
                    seats=kind_seats,
                    slot_count=kind_slots,
                    slot_minutes=minutes,
                )
                pairs = patients_create(
                    prefix=f"rush-{tag}-{name}-", count=count, first_serial=serial
                )
            day, serial = day + 1, serial + count
            tokens = tokens_issue([u for u, _ in pairs], lifetime=token_lifetime)
            bookings = _bookings(pairs, tokens, _slot_ids(session.pk))
            workloads[kind].append(Workload(name, path, session.pk, bookings))

    sold_out = _session_create(
        doctor=doctor,
        date=today + datetime.timedelta(days=day),
        seats=slot_count * SOLD_OUT_SEATS_PER_SLOT,
        slot_count=slot_count,
    )
    fillers = _sold_out_fill(session=sold_out, tag=tag, first_serial=serial)
    # The hot sessions' patients, before they book: refused for being late, not for caps.
    refusal_pairs = [
        (b.token, b.profile_id) for w in workloads["hot"] for b in w.bookings
    ]
    sold_out_slots = _slot_ids(sold_out.pk)
    refusals = [
        Booking(
            token=token,
            body=json.dumps(
                {
                    "slot_id": sold_out_slots[i % len(sold_out_slots)],
                    "profile_id": profile_id,
                }
            ).encode(),
            profile_id=profile_id,
        )
        for i, (token, profile_id) in enumerate(refusal_pairs)
    ]
    return BenchData(
        hot=workloads["hot"],
        large=workloads["large"],
        sold_out_session_id=sold_out.pk,
        refusals=refusals,
        patients=serial - first_serial + fillers,
    )


def _sold_out_fill(*, session: ClinicSession, tag: str, first_serial: int) -> int:
    """Book every seat of `session` through the real booking service; the fillers made."""
    slots = list(Slot.objects.filter(session=session).order_by("starts_at"))
    seats = sum(slot.capacity for slot in slots)
    pairs = patients_create(
        prefix=f"rush-{tag}-sold-out-", count=seats, first_serial=first_serial
    )
    profiles = PatientProfile.objects.select_related("user").in_bulk(
        [profile_id for _, profile_id in pairs]
    )
    fillers = iter(profiles[profile_id] for _, profile_id in pairs)
    # Quietly: each booking's follow-up tasks run inline here and log as they go.
    logging.disable(logging.WARNING)
    try:
        for slot in slots:
            for _ in range(slot.capacity):
                profile = next(fillers)
                appointment_book(
                    actor=Actor.system(),
                    user=profile.user,
                    profile=profile,
                    slot=slot_get_for_booking(slot_id=slot.pk),
                )
    finally:
        logging.disable(logging.NOTSET)
    return seats


@transaction.atomic
def bench_data_delete(*, tag: str) -> None:
    """Delete every row a run tagged `tag` created (for a shared MySQL database)."""
    hospital = Hospital.objects.filter(name=f"压测医院 {tag}").first()
    users = User.objects.filter(username__startswith=f"rush-{tag}-")
    if hospital is not None:
        sessions = ClinicSession.objects.filter(hospital=hospital)
        appointments = Appointment.objects.filter(session__in=sessions)
        OperationLog.objects.filter(
            object_type="appointments.appointment",
            object_id__in=[str(pk) for pk in appointments.values_list("pk", flat=True)],
        ).delete()
        BookingTicket.objects.filter(session_id__in=sessions.values("pk")).delete()
        appointments.delete()
        WaitlistEntry.objects.filter(session__in=sessions).delete()
        Slot.objects.filter(session__in=sessions).delete()
        sessions.delete()
        doctors = Doctor.objects.filter(hospital=hospital)
        departments = Department.objects.filter(hospital=hospital)
        for model, ids in (
            ("hospitals.doctor", doctors.values_list("pk", flat=True)),
            ("hospitals.department", departments.values_list("pk", flat=True)),
            ("hospitals.hospital", [hospital.pk]),
        ):
            OperationLog.objects.filter(
                object_type=model, object_id__in=[str(pk) for pk in ids]
            ).delete()
        doctors.delete()
        departments.delete()
        hospital.delete()
    OperationLog.objects.filter(actor__in=users).delete()
    IdempotencyKey.objects.filter(user_id__in=users.values("pk")).delete()
    PatientProfile.objects.filter(user__in=users).delete()
    users.delete()

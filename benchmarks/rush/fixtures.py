"""The benchmark's data: a hospital, two identical hot sessions, patients with tokens."""

import datetime
import json
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import PatientProfile, User
from accounts.selectors import ID_CARD_CONTEXT, ID_CARD_HASH_CONTEXT, PHONE_CONTEXT
from accounts.sensitive import id_card_last4_hash
from accounts.validators import id_card_check_char
from appointments.models import Appointment, WaitlistEntry
from benchmarks.rush.load import Booking
from common.crypto import encrypt, lookup_hash
from common.models import IdempotencyKey, OperationLog
from common.services import Actor
from hospitals.models import Department, Doctor, Hospital
from hospitals.services import department_create, doctor_create, hospital_create
from scheduling.models import ClinicSession, Period, Slot
from scheduling.rules import local_datetime

SLOT_MINUTES = 30
MAX_SLOTS = 8  # 30-minute slots from 08:00: the session ends by noon

OPTIMIZED_PATH = "/api/v1/appointments/book/"
BASELINE_PATH = "/api/v1/benchmarks/book-naive/"


@dataclass
class Workload:
    name: str
    path: str
    session_id: int
    bookings: list[Booking]


def _id_card_no(n: int) -> str:
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=n)
    first17 = f"110105{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_card_check_char(first17)


def _session_create(
    *, doctor: Doctor, date: datetime.date, seats: int, slot_count: int
) -> ClinicSession:
    """A morning session released yesterday: `seats` seats over `slot_count` slots.

    Built directly, as tests/scheduling/factories.py builds sessions: the benchmark needs
    seats spread unevenly when they do not divide (30 = 5 x 6, 31 = 6 + 5 x 5), which the
    scheduling services (equal seats per slot) do not make.
    """
    start = datetime.time(8, 0)
    first = local_datetime(date, start)
    length = datetime.timedelta(minutes=SLOT_MINUTES)
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


def _patients_create(
    *, prefix: str, count: int, first_serial: int
) -> list[tuple[int, int]]:
    """`count` patient users with one profile each, in bulk; returns (user_id, profile_id)."""
    User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{i:06d}",
                role=User.Role.PATIENT,
                password=make_password(None),  # unusable: they only hold JWTs
            )
            for i in range(count)
        ],
        batch_size=500,
    )
    user_ids = list(
        User.objects.filter(username__startswith=prefix)
        .order_by("username")
        .values_list("pk", flat=True)
    )
    profiles = []
    for i, user_id in enumerate(user_ids):
        id_no = _id_card_no(first_serial + i)
        profiles.append(
            PatientProfile(
                user_id=user_id,
                name=f"压测患者{first_serial + i}",
                relation=PatientProfile.Relation.SELF,
                gender=PatientProfile.Gender.FEMALE,
                birth_date=datetime.date(1990, 3, 7),
                phone_encrypted=encrypt(
                    f"139{(first_serial + i) % 10**8:08d}", context=PHONE_CONTEXT
                ),
                id_card_encrypted=encrypt(id_no, context=ID_CARD_CONTEXT),
                id_card_hash=lookup_hash(id_no, context=ID_CARD_HASH_CONTEXT),
                id_card_last4_hash=id_card_last4_hash(id_no[-4:]),
            )
        )
    PatientProfile.objects.bulk_create(profiles, batch_size=500)
    profile_ids = dict(
        PatientProfile.objects.filter(user_id__in=user_ids).values_list("user_id", "pk")
    )
    return [(user_id, profile_ids[user_id]) for user_id in user_ids]


def _tokens(user_ids: list[int], *, lifetime: datetime.timedelta) -> dict[int, str]:
    tokens = {}
    for user in User.objects.filter(pk__in=user_ids).only(
        "pk", "is_active", "password"
    ):
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=lifetime)
        tokens[user.pk] = str(token)
    return tokens


def bench_data_create(
    *,
    tag: str,
    seats: int,
    patients: int,
    slot_count: int,
    token_lifetime: datetime.timedelta,
) -> list[Workload]:
    """The hospital, doctor, one session per workload and N patients per workload."""
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
        doctor = doctor_create(
            actor=actor,
            hospital=hospital,
            department=department,
            name="压测医生",
            title=Doctor.Title.ATTENDING,
            fee=2000,
        )
    today = timezone.localdate()
    workloads = []
    for number, (name, path) in enumerate(
        (("optimized", OPTIMIZED_PATH), ("baseline", BASELINE_PATH))
    ):
        with transaction.atomic():
            session = _session_create(
                doctor=doctor,
                date=today + datetime.timedelta(days=2 + number),
                seats=seats,
                slot_count=slot_count,
            )
            pairs = _patients_create(
                prefix=f"rush-{tag}-{name}-",
                count=patients,
                first_serial=number * patients,
            )
        slot_ids = list(
            Slot.objects.filter(session=session)
            .order_by("starts_at")
            .values_list("pk", flat=True)
        )
        tokens = _tokens([user_id for user_id, _ in pairs], lifetime=token_lifetime)
        bookings = [
            Booking(
                token=tokens[user_id],
                body=json.dumps(
                    {"slot_id": slot_ids[i % len(slot_ids)], "profile_id": profile_id}
                ).encode(),
            )
            for i, (user_id, profile_id) in enumerate(pairs)
        ]
        workloads.append(Workload(name, path, session.pk, bookings))
    return workloads


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

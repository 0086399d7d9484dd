"""The benchmark's data: doctors taking free consults, one open consult per patient, tokens."""

import datetime
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from accounts.models import PatientProfile, User
from benchmarks.rush.patients import patients_create, tokens_issue
from common.models import OperationLog
from common.services import Actor
from consult.models import Consult, ConsultDay, ConsultMessage, ConsultOffer
from consult.services.consults import consult_create
from consult.services.offers import consult_offer_set
from hospitals.models import Department, Doctor, Hospital
from hospitals.services import department_create, doctor_create, hospital_create

CONSULTS_PER_DOCTOR = 20


@dataclass(frozen=True)
class Pair:
    """One open consult: its id, and the access tokens of its patient and doctor."""

    consult_id: int
    patient_token: str
    doctor_token: str


def bench_consults_create(
    *, tag: str, consults: int, token_lifetime: datetime.timedelta
) -> list[Pair]:
    """A hospital, ceil(consults / 20) doctors with a login and a free consult offer, and
    `consults` patients each with one waiting consult."""
    actor = Actor.system()
    doctor_count = -(-consults // CONSULTS_PER_DOCTOR)
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
        doctors = []
        for number in range(doctor_count):
            user = User.objects.create(
                username=f"ws-{tag}-doctor-{number:03d}",
                role=User.Role.DOCTOR,
                hospital=hospital,
                password=make_password(None),
            )
            doctor = doctor_create(
                actor=actor,
                hospital=hospital,
                department=department,
                name=f"压测医生{number}",
                title=Doctor.Title.ATTENDING,
                fee=0,
                user=user,
            )
            consult_offer_set(
                actor=actor,
                doctor=doctor,
                enabled=True,
                fee=0,
                daily_cap=CONSULTS_PER_DOCTOR,
                reply_hours=24,
            )
            doctors.append(doctor)
        patients = patients_create(
            prefix=f"ws-{tag}-patient-", count=consults, first_serial=0
        )
    profiles = PatientProfile.objects.in_bulk(
        [profile_id for _, profile_id in patients]
    )
    users = User.objects.in_bulk([user_id for user_id, _ in patients])
    pairs = []
    tokens = tokens_issue(
        [u for u, _ in patients] + [d.user_id for d in doctors], lifetime=token_lifetime
    )
    for index, (user_id, profile_id) in enumerate(patients):
        doctor = doctors[index // CONSULTS_PER_DOCTOR]
        consult = consult_create(
            actor=actor,
            user=users[user_id],
            doctor=doctor,
            profile=profiles[profile_id],
            problem="压测问题",
        )
        pairs.append(Pair(consult.pk, tokens[user_id], tokens[doctor.user_id]))
    return pairs


@transaction.atomic
def bench_consults_delete(*, tag: str) -> None:
    """Delete every row a run tagged `tag` created (for a shared MySQL database)."""
    hospital = Hospital.objects.filter(name=f"压测医院 {tag}").first()
    users = User.objects.filter(username__startswith=f"ws-{tag}-")
    consults = Consult.objects.filter(user__in=users)
    messages = ConsultMessage.objects.filter(consult__in=consults)
    for label, ids in (
        ("consult.consultmessage", messages.values_list("pk", flat=True)),
        ("consult.consult", consults.values_list("pk", flat=True)),
    ):
        OperationLog.objects.filter(
            object_type=label, object_id__in=[str(pk) for pk in ids]
        ).delete()
    messages.delete()
    consults.delete()
    if hospital is not None:
        doctors = Doctor.objects.filter(hospital=hospital)
        offers = ConsultOffer.objects.filter(doctor__in=doctors)
        OperationLog.objects.filter(
            object_type="consult.consultoffer",
            object_id__in=[str(pk) for pk in offers.values_list("pk", flat=True)],
        ).delete()
        offers.delete()
        ConsultDay.objects.filter(doctor__in=doctors).delete()
        departments = Department.objects.filter(hospital=hospital)
        for label, ids in (
            ("hospitals.doctor", doctors.values_list("pk", flat=True)),
            ("hospitals.department", departments.values_list("pk", flat=True)),
            ("hospitals.hospital", [hospital.pk]),
        ):
            OperationLog.objects.filter(
                object_type=label, object_id__in=[str(pk) for pk in ids]
            ).delete()
        doctors.delete()
    OperationLog.objects.filter(actor__in=users).delete()
    PatientProfile.objects.filter(user__in=users).delete()
    users.delete()  # the doctors' accounts point at the hospital
    if hospital is not None:
        Department.objects.filter(hospital=hospital).delete()
        hospital.delete()

"""Records tests' world: hospitals with a doctor who logs in, patients seen today."""

import datetime
import itertools

from django.utils import timezone

from accounts.models import PatientProfile, User
from appointments.models import Appointment
from common.services import Actor
from hospitals.models import Doctor, Hospital
from records.models import RecordVersion
from records.services.content import RecordContent
from records.services.records import record_draft_save
from scheduling.models import ClinicSession, Period
from tests.accounts.factories import PatientProfileFactory, StaffFactory, UserFactory
from tests.hospitals.factories import DoctorFactory, HospitalFactory
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

_order = itertools.count(1)

# Bytes that begin real files of each type (enough for the type check by content).
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def doctor_with_login(hospital: Hospital | None = None) -> Doctor:
    hospital = hospital or HospitalFactory()
    user = UserFactory(role=User.Role.DOCTOR, hospital=hospital, is_staff=True)
    return DoctorFactory(hospital=hospital, user=user)


def staff_of(hospital: Hospital) -> User:
    return StaffFactory(hospital=hospital)


def appointment_for(
    *,
    doctor: Doctor,
    profile: PatientProfile | None = None,
    status: str = Appointment.Status.CHECKED_IN,
    day: datetime.date | None = None,
) -> Appointment:
    """An appointment with `doctor` on `day` (today by default), straight to the table."""
    profile = profile or PatientProfileFactory()
    day = day or timezone.localdate()
    session = ClinicSession.objects.filter(
        doctor=doctor, date=day, period=Period.MORNING
    ).first() or ClinicSessionFactory(doctor=doctor, date=day)
    slot = SlotFactory(session=session, booked=1)
    return Appointment.objects.create(
        order_no=f"R{next(_order):010d}",
        user=profile.user,
        profile=profile,
        slot=slot,
        session=session,
        doctor=doctor,
        hospital=doctor.hospital,
        status=status,
        queue_no=next(_order),
        fee=doctor.fee,
        visit_starts_at=slot.starts_at,
        visit_ends_at=slot.ends_at,
        holds_seat=None if status == Appointment.Status.CANCELLED else True,
        checked_in_at=timezone.now() if status != Appointment.Status.BOOKED else None,
    )


def content(**overrides) -> RecordContent:
    values = {
        "chief_complaint": "咳嗽三天",
        "present_illness": "三天前受凉后咳嗽，无发热。",
        "history": "无特殊。",
        "examination": "咽部充血。",
        "diagnoses": [{"code": "J06.9", "text": ""}],
        "prescriptions": [
            {
                "drug": "氨溴索片",
                "dose": "30mg",
                "route": "口服",
                "frequency": "tid",
                "days": 5,
                "quantity": "1盒",
            }
        ],
        "orders": "血常规",
        "advice": "多饮水。",
        "follow_up_date": None,
    }
    return RecordContent(**(values | overrides))


def draft_for(appointment: Appointment, **overrides) -> RecordVersion:
    return record_draft_save(
        actor=Actor(user=appointment.doctor.user),
        appointment=appointment,
        content=content(**overrides),
    )

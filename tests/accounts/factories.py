import datetime
import itertools

import factory
from django.utils import timezone

from accounts.models import MemberLevel, PatientProfile, User
from accounts.selectors import (
    ID_CARD_CONTEXT,
    ID_CARD_HASH_CONTEXT,
    INSURANCE_CARD_CONTEXT,
    PHONE_CONTEXT,
    PHONE_HASH_CONTEXT,
)
from accounts.sensitive import id_card_last4_hash
from accounts.validators import id_card_check_char
from appointments.models import Appointment
from common.crypto import encrypt, lookup_hash
from hospitals.models import Department, Doctor, Hospital
from scheduling.models import ClinicSession, Slot

_sequence = itertools.count(1)


def make_id_card_no(
    birth_date: datetime.date = datetime.date(1990, 3, 7),
    *,
    female: bool = False,
    region: str | None = None,
    serial: int | None = None,
) -> str:
    """A valid 18-character ID number (check digit computed per GB 11643).

    Without `serial` and `region`, every call gives another person's number: the booking
    caps count one person across profiles, so two factory profiles must not share one by
    chance.
    """
    if serial is None:
        n = next(_sequence)
        serial = n % 50
        if region is None:
            # Beijing (11) with a different district code per 50 numbers.
            region = f"11{(n // 50) % 10000:04d}"
    if region is None:
        region = "110105"
    gender_digit = (2 * (serial % 5)) + (0 if female else 1)
    first17 = f"{region}{birth_date:%Y%m%d}{serial % 100:02d}{gender_digit}"
    return first17 + id_card_check_char(first17)


def make_phone(n: int | None = None) -> str:
    return f"138{(next(_sequence) if n is None else n) % 10**8:08d}"


class HospitalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hospital

    name = factory.Sequence(lambda n: f"第{n}人民医院")
    level = Hospital.Level.GRADE_3A
    region = "北京"
    address = factory.Sequence(lambda n: f"长安街{n}号")
    phone = "010-12345678"


# The defaults the data migration creates: code, name, points, priority hours, reserved
# share (bp), late cancels per month, share of the fee paid (bp), waitlist priority.
DEFAULT_LEVELS = [
    ("normal", "普通", 0, 0, 0, 0, 10000, 0),
    ("silver", "银卡", 200, 0, 0, 0, 9800, 1),
    ("gold", "金卡", 1000, 2, 1000, 1, 9500, 2),
    ("vip", "VIP", 5000, 24, 2000, 3, 9000, 3),
]


def default_levels() -> dict[str, MemberLevel]:
    """The four default levels by code, as the migration makes them.

    Made here too because tests on a real engine (transaction=True) empty every table,
    the migration's rows included.
    """
    levels = {}
    for code, name, points, hours, share, quota, rate, priority in DEFAULT_LEVELS:
        levels[code], _ = MemberLevel.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "points_required": points,
                "priority_hours": hours,
                "reserved_share_bp": share,
                "late_cancel_monthly_quota": quota,
                "discount_rate_bp": rate,
                "waitlist_priority": priority,
            },
        )
    return levels


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.PATIENT
    password = factory.django.Password("Strong-pass-123")


class PatientFactory(UserFactory):
    username = factory.Sequence(lambda n: f"patient{n}")


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    role = User.Role.HOSPITAL_STAFF
    hospital = factory.SubFactory(HospitalFactory)
    is_staff = True


class PatientProfileFactory(factory.django.DjangoModelFactory):
    """A profile written straight to the table (the service has its own tests)."""

    class Meta:
        model = PatientProfile
        exclude = ("id_card_no", "phone", "insurance_card_no")

    user = factory.SubFactory(PatientFactory)
    name = factory.Sequence(lambda n: f"患者{n}")
    relation = PatientProfile.Relation.SELF
    id_card_no = factory.LazyFunction(make_id_card_no)
    phone = factory.LazyFunction(make_phone)
    insurance_card_no = ""
    gender = factory.LazyAttribute(
        lambda o: "male" if int(o.id_card_no[16]) % 2 else "female"
    )
    birth_date = factory.LazyAttribute(
        lambda o: datetime.date(
            int(o.id_card_no[6:10]), int(o.id_card_no[10:12]), int(o.id_card_no[12:14])
        )
    )
    id_card_encrypted = factory.LazyAttribute(
        lambda o: encrypt(o.id_card_no, context=ID_CARD_CONTEXT)
    )
    id_card_hash = factory.LazyAttribute(
        lambda o: lookup_hash(o.id_card_no, context=ID_CARD_HASH_CONTEXT)
    )
    id_card_last4_hash = factory.LazyAttribute(
        lambda o: id_card_last4_hash(o.id_card_no[-4:])
    )
    phone_encrypted = factory.LazyAttribute(
        lambda o: encrypt(o.phone, context=PHONE_CONTEXT)
    )
    phone_hash = factory.LazyAttribute(
        lambda o: lookup_hash(o.phone, context=PHONE_HASH_CONTEXT)
    )
    insurance_card_encrypted = factory.LazyAttribute(
        lambda o: (
            encrypt(o.insurance_card_no, context=INSURANCE_CARD_CONTEXT)
            if o.insurance_card_no
            else ""
        )
    )
    is_active = True


def make_appointment(
    *, profile: PatientProfile, status: str = Appointment.Status.BOOKED
) -> Appointment:
    """An appointment for `profile` with the minimum of catalogue rows around it."""
    hospital = HospitalFactory()
    department = Department.objects.create(hospital=hospital, name="内科")
    doctor = Doctor.objects.create(
        hospital=hospital,
        department=department,
        name="张医生",
        title=Doctor.Title.CHIEF,
        fee=5000,
    )
    day = timezone.localdate() + datetime.timedelta(days=1)
    session = ClinicSession.objects.create(
        doctor=doctor,
        hospital=hospital,
        date=day,
        period="morning",
        start_time=datetime.time(8, 0),
        end_time=datetime.time(12, 0),
        fee=5000,
        release_at=timezone.now(),
    )
    starts_at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(8)))
    slot = Slot.objects.create(
        session=session,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=30),
        capacity=5,
        booked=1,
    )
    cancelled = status == Appointment.Status.CANCELLED
    return Appointment.objects.create(
        order_no=f"A{next(_sequence):010d}",
        user=profile.user,
        profile=profile,
        slot=slot,
        session=session,
        doctor=doctor,
        hospital=hospital,
        status=status,
        queue_no=1,
        fee=5000,
        visit_starts_at=starts_at,
        visit_ends_at=starts_at + datetime.timedelta(minutes=30),
        holds_seat=None if cancelled else True,
    )

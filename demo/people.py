"""The people of the demo: the platform admin, one desk account and one doctor account per
hospital, and patients.

The admin, the staff and the doctors share one password (DEMO_ADMIN_PASSWORD, or the local default).
Hospital staff need no permission group: their role brings their admin permissions
(accounts/roles.py), and the admin keeps them inside their own hospital. Patients log in
by SMS code, so they have no password; each has one or two patient profiles (就诊人) with
valid ID-card numbers.

`demo_logins()` is the public summary of these logins, for the front door.
"""

from dataclasses import dataclass

from accounts.models import PatientProfile, User
from accounts.selectors import ID_CARD_HASH_CONTEXT, user_get_by_phone
from accounts.services.profiles import patient_profile_create
from accounts.services.staff import user_save_by_admin
from common.crypto import lookup_hash
from demo.seeding import SeedContext

ADMIN_URL = "http://127.0.0.1:8000/admin/"
ADMIN_USERNAME = "admin"
# Only for a local demo; set DEMO_ADMIN_PASSWORD anywhere else.
DEFAULT_DEMO_PASSWORD = "Renhe-Demo-2025!"

STAFF: list[dict[str, str]] = [
    {"username": "staff_renhe", "first_name": "仁和挂号处", "hospital": "北京仁和医院"},
    {"username": "staff_ruikang", "first_name": "瑞康挂号处", "hospital": "上海瑞康医院"},
    {"username": "staff_nanshan", "first_name": "南山挂号处", "hospital": "广州南山中医医院"},
]  # fmt: skip


# One doctor account per hospital, for its first chief physician (demo/consults.py links
# it): they answer online consults in the workspace or the mini-program.
DOCTORS: list[dict[str, str]] = [
    {"username": "doctor_renhe", "hospital": "北京仁和医院"},
    {"username": "doctor_ruikang", "hospital": "上海瑞康医院"},
    {"username": "doctor_nanshan", "hospital": "广州南山中医医院"},
]


@dataclass(frozen=True)
class DemoPatient:
    phone: str
    nickname: str
    # name, relation, ID-card number without its check character
    profiles: tuple[tuple[str, str, str], ...]


PATIENTS: list[DemoPatient] = [
    DemoPatient(
        phone="13800138001",
        nickname="李明",
        profiles=(
            ("李明", PatientProfile.Relation.SELF, "11010519850312001"),
            ("李小雨", PatientProfile.Relation.CHILD, "11010520150601002"),
        ),
    ),
    DemoPatient(
        phone="13800138002",
        nickname="王丽",
        profiles=(("王丽", PatientProfile.Relation.SELF, "31010419901123004"),),
    ),
    DemoPatient(
        phone="13800138003",
        nickname="陈刚",
        profiles=(
            ("陈刚", PatientProfile.Relation.SELF, "44010619580808011"),
            ("陈华", PatientProfile.Relation.PARENT, "44010619330415022"),
        ),
    ),
]


def demo_logins() -> dict:
    """The logins the demo data creates, with the default password (the command takes
    DEMO_ADMIN_PASSWORD instead when that is set)."""
    return {
        "admin_username": ADMIN_USERNAME,
        "password": DEFAULT_DEMO_PASSWORD,
        "staff": [(staff["username"], staff["hospital"]) for staff in STAFF],
        "doctors": [(doctor["username"], doctor["hospital"]) for doctor in DOCTORS],
        "patient_phones": [patient.phone for patient in PATIENTS],
    }


def id_card_number(first17: str) -> str:
    """Append the GB 11643 (ISO 7064 MOD 11-2) check character to 17 digits."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, weights, strict=True)
    )
    return first17 + "10X98765432"[total % 11]


def user_seed_save(ctx: SeedContext, user: User, password: str | None) -> None:
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user_save_by_admin(
        actor=ctx.actor,
        user=user,
        is_new=True,
        changed_fields=["username", "role", "hospital", "phone", "is_staff"],
    )


def seed_admin(ctx: SeedContext, username: str) -> bool:
    if User.objects.filter(username=username).exists():
        return False
    admin = User(
        username=username,
        email="admin@example.com",
        role=User.Role.PLATFORM_ADMIN,
        is_staff=True,
        is_superuser=True,
    )
    user_seed_save(ctx, admin, ctx.password)
    return True


def seed_staff_user(ctx: SeedContext, data: dict[str, str]) -> bool:
    if User.objects.filter(username=data["username"]).exists():
        return False
    user = User(
        username=data["username"],
        first_name=data["first_name"],
        role=User.Role.HOSPITAL_STAFF,
        hospital=ctx.hospital(data["hospital"]),
        is_staff=True,
    )
    user_seed_save(ctx, user, ctx.password)
    return True


def seed_patient(ctx: SeedContext, patient: DemoPatient) -> bool:
    if user_get_by_phone(phone=patient.phone) is not None:
        return False
    user = User(
        username=f"demo_patient_{patient.phone[-4:]}",
        phone=patient.phone,
        nickname=patient.nickname,
        role=User.Role.PATIENT,
    )
    user_seed_save(ctx, user, None)
    return True


def profile_items() -> list[tuple[str, str, str, str]]:
    return [
        (patient.phone, name, relation, id_card_number(first17))
        for patient in PATIENTS
        for name, relation, first17 in patient.profiles
    ]


def seed_profile(ctx: SeedContext, item: tuple[str, str, str, str]) -> bool:
    phone, name, relation, id_card_no = item
    user = user_get_by_phone(phone=phone)
    assert user is not None  # seeded by seed_patient first
    id_card_hash = lookup_hash(id_card_no, context=ID_CARD_HASH_CONTEXT)
    if PatientProfile.objects.filter(
        user=user, id_card_hash=id_card_hash, is_active=True
    ).exists():
        return False
    patient_profile_create(
        actor=ctx.actor,
        user=user,
        name=name,
        relation=relation,
        id_card_no=id_card_no,
        phone=phone,
    )
    return True

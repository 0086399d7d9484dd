"""manage.py seed_demo: a realistic demo data set, safe to run any number of times.

Three hospitals with two-level departments and about sixty doctors, a platform admin, one
staff account per hospital (in the "Hospital staff" group) and a few patients with
profiles. The data is fixed, not random. Every row is looked up by its natural key first,
so a second run finds everything present and writes nothing. All writes go through the
apps' services, so they leave operation-log rows and refresh the catalog cache.

Clinic schedules: weekly templates per doctor, and the sessions of the booking window
generated from them. To extend the demo, write a function `seed(ctx, item) -> bool`
that returns True when it created something, and add a SeedStep to SEED_STEPS after the
steps it depends on. Look rows up with `ctx.hospital(name)` or your own natural keys.
"""

import datetime
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from accounts.selectors import ID_CARD_HASH_CONTEXT
from accounts.services.profiles import patient_profile_create
from accounts.services.staff import user_save_by_admin
from common.crypto import lookup_hash
from common.services import Actor, operation_log_write
from hospitals.models import Department, Doctor, Hospital
from hospitals.services import department_create, doctor_create, hospital_create
from scheduling.models import ScheduleTemplate
from scheduling.services import schedule_template_save, sessions_generate

ADMIN_URL = "http://127.0.0.1:8000/admin/"
ADMIN_USERNAME = "admin"
# Only for a local demo; set DEMO_ADMIN_PASSWORD anywhere else.
DEFAULT_DEMO_PASSWORD = "Renhe-Demo-2025!"
STAFF_GROUP = "Hospital staff"

# -- the data --------------------------------------------------------------------------

HOSPITALS: list[dict[str, Any]] = [
    {
        "name": "北京仁和医院",
        "level": Hospital.Level.GRADE_3A,
        "region": "北京市朝阳区",
        "address": "北京市朝阳区朝阳北路101号",
        "phone": "010-65881234",
        "introduction": "集医疗、教学、科研于一体的三级甲等综合医院，心血管、消化和骨科为重点专科。",
    },
    {
        "name": "上海瑞康医院",
        "level": Hospital.Level.GRADE_3A,
        "region": "上海市徐汇区",
        "address": "上海市徐汇区漕溪北路88号",
        "phone": "021-64375678",
        "introduction": "三级甲等综合医院，神经内科、内分泌科和眼科在华东地区享有盛誉。",
    },
    {
        "name": "广州南山中医医院",
        "level": Hospital.Level.GRADE_2A,
        "region": "广州市天河区",
        "address": "广州市天河区天河路233号",
        "phone": "020-38869012",
        "introduction": "二级甲等中医医院，以中医内科、针灸推拿见长。",
    },
]

# Per hospital: top-level departments (大科室), each with its clinics (科室) and, per
# clinic, the specialty line its doctors share and four doctors, most senior first.
_TREE: dict[str, list[tuple[str, list[tuple[str, str, list[str]]]]]] = {
    "北京仁和医院": [
        (
            "内科",
            [
                ("心血管内科", "冠心病、高血压、心律失常", ["张伟", "王芳", "李娜", "刘洋"]),
                ("消化内科", "胃肠疾病、消化内镜诊疗", ["陈静", "杨磊", "赵敏", "黄勇"]),
                ("呼吸内科", "慢阻肺、哮喘、肺部感染", ["周杰", "吴霞", "徐涛", "孙丽"]),
            ],
        ),
        (
            "外科",
            [
                ("普通外科", "甲状腺、疝气及胆道微创手术", ["胡斌", "朱琳", "高峰", "林燕"]),
                ("骨科", "关节置换、脊柱外科、运动损伤", ["何军", "郭倩", "马超", "罗婷"]),
            ],
        ),
        (
            "妇产科",
            [
                ("妇科", "妇科肿瘤、宫腔镜诊疗", ["梁宇", "宋佳", "郑浩", "谢娟"]),
                ("产科", "高危妊娠、产前诊断", ["韩冰", "唐亮", "冯雪", "于洋"]),
            ],
        ),
    ],
    "上海瑞康医院": [
        (
            "内科",
            [
                ("内分泌科", "糖尿病、甲状腺疾病、骨质疏松", ["董洁", "萧然", "程刚", "曹颖"]),
                ("神经内科", "脑血管病、癫痫、帕金森病", ["袁野", "邓琪", "许晨", "傅强"]),
            ],
        ),
        (
            "五官科",
            [
                ("眼科", "白内障、青光眼、眼底病", ["沈悦", "曾毅", "彭程", "吕薇"]),
                ("耳鼻喉科", "鼻窦炎、听力障碍、咽喉疾病", ["苏航", "卢芸", "蒋睿", "蔡明"]),
            ],
        ),
        (
            "儿科",
            [
                ("小儿内科", "儿童呼吸道感染、哮喘、生长发育", ["贾欣", "丁宁", "魏巍", "薛凯"]),
            ],
        ),
    ],
    "广州南山中医医院": [
        (
            "中医内科",
            [
                ("脾胃病科", "慢性胃炎、功能性消化不良的中医调理", ["叶青", "阎博", "余婧", "潘东"]),
                ("针灸科", "颈肩腰腿痛、面瘫、失眠的针灸治疗", ["杜鹃", "戴维", "夏天", "钟磊"]),
            ],
        ),
        (
            "康复科",
            [
                ("推拿科", "颈椎病、腰椎间盘突出的推拿康复", ["汪洁", "田野", "任杰", "姜楠"]),
            ],
        ),
    ],
}  # fmt: skip

# Most senior first, with the registration fee in fen.
_TITLES_AND_FEES: list[tuple[str, int]] = [
    (Doctor.Title.CHIEF, 5000),
    (Doctor.Title.ASSOCIATE_CHIEF, 3000),
    (Doctor.Title.ATTENDING, 2000),
    (Doctor.Title.RESIDENT, 1000),
]

_STAFF: list[dict[str, str]] = [
    {"username": "staff_renhe", "first_name": "仁和挂号处", "hospital": "北京仁和医院"},
    {"username": "staff_ruikang", "first_name": "瑞康挂号处", "hospital": "上海瑞康医院"},
    {"username": "staff_nanshan", "first_name": "南山挂号处", "hospital": "广州南山中医医院"},
]  # fmt: skip

# What hospital staff may do in the admin. No deletes: deactivate instead, so history
# stays intact. Bookings are made by patients, so appointments are view and change only.
_STAFF_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "hospitals": ("view", "change"),
    "scheduling": ("view", "add", "change"),
    "appointments": ("view", "change"),
}
# Beyond _STAFF_PERMISSIONS: staff run their own departments and doctors.
_STAFF_EXTRA_CODENAMES = ("add_department", "add_doctor")


@dataclass(frozen=True)
class DemoPatient:
    phone: str
    nickname: str
    # name, relation, ID-card number without its check character
    profiles: tuple[tuple[str, str, str], ...]


_PATIENTS: list[DemoPatient] = [
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


def id_card_number(first17: str) -> str:
    """Append the GB 11643 (ISO 7064 MOD 11-2) check character to 17 digits."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(
        int(digit) * weight for digit, weight in zip(first17, weights, strict=True)
    )
    return first17 + "10X98765432"[total % 11]


# -- the machinery ---------------------------------------------------------------------


@dataclass
class SeedContext:
    actor: Actor
    password: str
    created: Counter = field(default_factory=Counter)
    present: Counter = field(default_factory=Counter)
    _hospitals: dict[str, Hospital] = field(default_factory=dict)

    def hospital(self, name: str) -> Hospital:
        if name not in self._hospitals:
            self._hospitals[name] = Hospital.objects.get(name=name)
        return self._hospitals[name]


@dataclass(frozen=True)
class SeedStep:
    """One kind of demo row: `seed(ctx, item)` returns True when it created the row."""

    kind: str
    items: Sequence[Any]
    seed: Callable[[SeedContext, Any], bool]


class ProgressBar:
    """A text progress bar: redrawn in place on a terminal, one line per step otherwise."""

    width = 30

    def __init__(self, out: OutputWrapper, total: int) -> None:
        self.out = out
        self.total = total
        self.done = 0
        self.live = out.isatty()

    def advance(self, label: str, *, step_done: bool) -> None:
        self.done += 1
        if self.live or step_done:
            filled = self.width * self.done // max(self.total, 1)
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"[{bar}] {self.done:>3}/{self.total} {label}"
            if self.live:
                self.out.write(f"\r{line:<60}", ending="")
                self.out.flush()
            else:
                self.out.write(line)

    def finish(self) -> None:
        if self.live:
            self.out.write("")


# -- the steps -------------------------------------------------------------------------


def _seed_hospital(ctx: SeedContext, data: dict[str, Any]) -> bool:
    if Hospital.objects.filter(name=data["name"]).exists():
        return False
    hospital_create(actor=ctx.actor, **data)
    return True


def _department_items() -> list[dict[str, Any]]:
    items = []
    for hospital, tops in _TREE.items():
        for top_order, (top, clinics) in enumerate(tops, start=1):
            items.append(
                {
                    "hospital": hospital,
                    "parent": None,
                    "name": top,
                    "sort_order": top_order,
                }
            )
            for order, (clinic, specialty, _doctors) in enumerate(clinics, start=1):
                items.append(
                    {
                        "hospital": hospital,
                        "parent": top,
                        "name": clinic,
                        "sort_order": order,
                        "introduction": f"{clinic}门诊，擅长{specialty}。",
                    }
                )
    return items


def _department(ctx: SeedContext, hospital: str, parent: str | None, name: str):
    in_hospital = Department.objects.filter(hospital=ctx.hospital(hospital))
    if parent is None:
        return in_hospital.filter(parent__isnull=True, name=name).first()
    return in_hospital.filter(
        parent__parent__isnull=True, parent__name=parent, name=name
    ).first()


def _seed_department(ctx: SeedContext, data: dict[str, Any]) -> bool:
    if _department(ctx, data["hospital"], data["parent"], data["name"]) is not None:
        return False
    parent = None
    if data["parent"] is not None:
        parent = _department(ctx, data["hospital"], None, data["parent"])
    department_create(
        actor=ctx.actor,
        hospital=ctx.hospital(data["hospital"]),
        parent=parent,
        name=data["name"],
        sort_order=data["sort_order"],
        introduction=data.get("introduction", ""),
    )
    return True


def _doctor_items() -> list[dict[str, Any]]:
    items = []
    for hospital, tops in _TREE.items():
        for top, clinics in tops:
            for clinic, specialty, names in clinics:
                for name, (title, fee) in zip(names, _TITLES_AND_FEES, strict=True):
                    items.append(
                        {
                            "hospital": hospital,
                            "top": top,
                            "clinic": clinic,
                            "name": name,
                            "title": title,
                            "fee": fee,
                            "specialty": specialty,
                        }
                    )
    return items


def _seed_doctor(ctx: SeedContext, data: dict[str, Any]) -> bool:
    department = _department(ctx, data["hospital"], data["top"], data["clinic"])
    if department is None:
        raise CommandError(f"department {data['clinic']} is missing")
    if Doctor.objects.filter(department=department, name=data["name"]).exists():
        return False
    title = Doctor.Title(data["title"])
    doctor_create(
        actor=ctx.actor,
        hospital=department.hospital,
        department=department,
        name=data["name"],
        title=title,
        fee=data["fee"],
        specialty=data["specialty"],
        introduction=f"{title.label}，从事{data['clinic']}临床工作多年，擅长{data['specialty']}。",
    )
    return True


def _staff_permissions() -> list[Permission]:
    wanted = Q()
    for app_label, actions in _STAFF_PERMISSIONS.items():
        for action in actions:
            wanted |= Q(
                content_type__app_label=app_label, codename__startswith=f"{action}_"
            )
    wanted |= Q(
        content_type__app_label="hospitals", codename__in=_STAFF_EXTRA_CODENAMES
    )
    permissions = list(Permission.objects.filter(wanted).order_by("pk"))
    if not permissions:
        raise CommandError("No permissions found: run manage.py migrate first.")
    return permissions


def _seed_staff_group(ctx: SeedContext, name: str) -> bool:
    group, created = Group.objects.get_or_create(name=name)
    granted = set(group.permissions.values_list("pk", flat=True))
    missing = [p for p in _staff_permissions() if p.pk not in granted]
    if created or missing:
        group.permissions.add(*missing)
        operation_log_write(
            actor=ctx.actor,
            action="group_permissions_add_by_seed",
            obj=group,
            summary=f"{name}: {len(missing)} permissions",
        )
    return created


def _save_user(ctx: SeedContext, user: User, password: str | None) -> None:
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


def _seed_admin(ctx: SeedContext, username: str) -> bool:
    if User.objects.filter(username=username).exists():
        return False
    admin = User(
        username=username,
        email="admin@example.com",
        role=User.Role.PLATFORM_ADMIN,
        is_staff=True,
        is_superuser=True,
    )
    _save_user(ctx, admin, ctx.password)
    return True


def _seed_staff_user(ctx: SeedContext, data: dict[str, str]) -> bool:
    user = User.objects.filter(username=data["username"]).first()
    created = user is None
    if created:
        user = User(
            username=data["username"],
            first_name=data["first_name"],
            role=User.Role.HOSPITAL_STAFF,
            hospital=ctx.hospital(data["hospital"]),
            is_staff=True,
        )
        _save_user(ctx, user, ctx.password)
    group = Group.objects.get(name=STAFF_GROUP)
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
        operation_log_write(
            actor=ctx.actor,
            action="user_group_add_by_seed",
            obj=user,
            summary=f"group={STAFF_GROUP}",
        )
    return created


def _seed_patient(ctx: SeedContext, patient: DemoPatient) -> bool:
    if User.objects.filter(phone=patient.phone).exists():
        return False
    user = User(
        username=f"demo_patient_{patient.phone[-4:]}",
        phone=patient.phone,
        nickname=patient.nickname,
        role=User.Role.PATIENT,
    )
    _save_user(ctx, user, None)
    return True


def _profile_items() -> list[tuple[str, str, str, str]]:
    return [
        (patient.phone, name, relation, id_card_number(first17))
        for patient in _PATIENTS
        for name, relation, first17 in patient.profiles
    ]


def _seed_profile(ctx: SeedContext, item: tuple[str, str, str, str]) -> bool:
    phone, name, relation, id_card_no = item
    user = User.objects.get(phone=phone)
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


# -- clinic schedules ------------------------------------------------------------------

_MORNING = (datetime.time(8, 0), datetime.time(11, 30))
_AFTERNOON = (datetime.time(13, 30), datetime.time(17, 0))


def _template_items() -> list[dict[str, Any]]:
    """Each doctor sees patients two half-days a week; chief physicians also on Saturday
    morning, with fewer seats per slot (the famous doctors whose slots sell out)."""
    items = []
    for index, doctor in enumerate(_doctor_items()):
        is_chief = doctor["title"] == "chief"
        seats = 2 if is_chief else 4
        base = {
            "hospital": doctor["hospital"],
            "clinic": doctor["clinic"],
            "name": doctor["name"],
            "seats": seats,
        }
        items.append(
            base | {"weekday": index % 5, "period": "morning", "times": _MORNING}
        )
        items.append(
            base
            | {"weekday": (index + 2) % 5, "period": "afternoon", "times": _AFTERNOON}
        )
        if is_chief:
            items.append(base | {"weekday": 5, "period": "morning", "times": _MORNING})
    return items


def _seed_template(ctx: SeedContext, data: dict[str, Any]) -> bool:
    doctor = Doctor.objects.get(
        hospital=ctx.hospital(data["hospital"]),
        department__name=data["clinic"],
        name=data["name"],
    )
    if ScheduleTemplate.objects.filter(
        doctor=doctor, weekday=data["weekday"], period=data["period"]
    ).exists():
        return False
    start, end = data["times"]
    template = ScheduleTemplate(
        doctor=doctor,
        weekday=data["weekday"],
        period=data["period"],
        start_time=start,
        end_time=end,
        slot_minutes=30,
        seats_per_slot=data["seats"],
    )
    schedule_template_save(actor=ctx.actor, template=template)
    return True


def _seed_sessions(ctx: SeedContext, item: str) -> bool:
    """Sessions for the booking window from the templates (idempotent, like the beat job)."""
    return sessions_generate() > 0


SEED_STEPS: list[SeedStep] = [
    SeedStep("hospitals", HOSPITALS, _seed_hospital),
    SeedStep("departments", _department_items(), _seed_department),
    SeedStep("doctors", _doctor_items(), _seed_doctor),
    SeedStep("groups", [STAFF_GROUP], _seed_staff_group),
    SeedStep("admins", [ADMIN_USERNAME], _seed_admin),
    SeedStep("staff", _STAFF, _seed_staff_user),
    SeedStep("patients", _PATIENTS, _seed_patient),
    SeedStep("profiles", _profile_items(), _seed_profile),
    SeedStep("templates", _template_items(), _seed_template),
    SeedStep("sessions", ["window"], _seed_sessions),
]


class Command(BaseCommand):
    help = "Fill the database with fixed demo data; running it again changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("DEMO_ADMIN_PASSWORD") or DEFAULT_DEMO_PASSWORD
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(
                "DEMO_ADMIN_PASSWORD is too weak: " + " ".join(exc.messages)
            ) from None

        ctx = SeedContext(actor=Actor.system(), password=password)
        bar = ProgressBar(self.stdout, sum(len(step.items) for step in SEED_STEPS))
        # One transaction: a failing step leaves the database as it was.
        with transaction.atomic():
            for step in SEED_STEPS:
                for number, item in enumerate(step.items, start=1):
                    if step.seed(ctx, item):
                        ctx.created[step.kind] += 1
                    else:
                        ctx.present[step.kind] += 1
                    bar.advance(step.kind, step_done=number == len(step.items))
        bar.finish()

        self.stdout.write(_summary(ctx))
        self._print_logins(password)

    def _print_logins(self, password: str) -> None:
        admin = User.objects.get(username=ADMIN_USERNAME)
        self.stdout.write(
            _("Admin login: %(url)s  username: %(username)s  password: %(password)s")
            % {"url": ADMIN_URL, "username": ADMIN_USERNAME, "password": password}
        )
        if not admin.check_password(password):
            self.stdout.write(
                _(
                    "(The admin user already existed with another password; it was not changed.)"
                )
            )
        self.stdout.write(
            _(
                "Patient logins (API): phones %(phones)s; POST /api/v1/accounts/sms/send/ and "
                "the code appears in the server log (SMS_BACKEND=console)."
            )
            % {"phones": ", ".join(p.phone for p in _PATIENTS)}
        )
        self.stdout.write(
            _("Hospital staff logins (same password): %(users)s")
            % {"users": ", ".join(f"{s['username']} ({s['hospital']})" for s in _STAFF)}
        )


def _summary(ctx: SeedContext) -> str:
    per_kind = ", ".join(
        f"{step.kind} {ctx.created[step.kind]}/{ctx.present[step.kind]}"
        for step in SEED_STEPS
    )
    return _(
        "Demo data: %(created)d created, %(present)d already present (%(per_kind)s)."
    ) % {
        "created": sum(ctx.created.values()),
        "present": sum(ctx.present.values()),
        "per_kind": per_kind,
    }

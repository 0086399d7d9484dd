from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import F
from django.urls import reverse

from accounts.models import PatientProfile, User
from accounts.selectors import profile_id_card_no
from accounts.sensitive import name_lookup_hash
from accounts.validators import id_card_check_char, parse_id_card
from common.models import OperationLog
from consult.models import ConsultOffer
from demo import people, story
from demo.seeding import SeedStep
from hospitals.models import ConsultingRoom, Department, Doctor, Hospital
from scheduling.models import BookingRule, ClinicSession, ScheduleTemplate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_password(monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _snapshot() -> dict:
    return {
        "hospitals": list(Hospital.objects.values().order_by("pk")),
        "departments": list(Department.objects.values().order_by("pk")),
        "doctors": list(Doctor.objects.values().order_by("pk")),
        "users": list(User.objects.values().order_by("pk")),
        "profiles": list(PatientProfile.objects.values().order_by("pk")),
        "groups": list(Group.objects.values_list("name", "permissions")),
        "memberships": list(User.groups.through.objects.values().order_by("pk")),
        "logs": OperationLog.objects.count(),
    }


def test_seed_creates_the_demo_data_set():
    # when
    output = _seed()

    # then
    assert list(Hospital.objects.values_list("name", "level", "region")) == [
        ("北京仁和医院", "3A", "北京市朝阳区"),
        ("上海瑞康医院", "3A", "上海市徐汇区"),
        ("广州南山中医医院", "2A", "广州市天河区"),
    ]
    assert Department.objects.count() == 23
    assert Department.objects.filter(parent__isnull=True).count() == 8
    assert Department.objects.filter(parent__parent__isnull=False).exists() is False
    assert Doctor.objects.count() == 60
    assert Doctor.objects.exclude(hospital=F("department__hospital")).count() == 0
    assert sorted(set(Doctor.objects.values_list("title", "fee"))) == [
        ("associate_chief", 3000),
        ("attending", 2000),
        ("chief", 5000),
        ("resident", 1000),
    ]
    assert PatientProfile.objects.count() == 5
    assert (
        "Demo data: 298 created, 0 already present (hospitals 3/0, departments 23/0, "
        "doctors 60/0, rooms 30/0, admins 1/0, staff 3/0, patients 3/0, profiles 5/0, "
        "templates 135/0, sessions 1/0, release queue 1/0, consult offers 30/0, "
        "doctor accounts 3/0)."
    ) in output
    assert output.rstrip().splitlines()[-4] == (
        "Admin login: http://127.0.0.1:8000/admin/  username: admin  "
        f"password: {people.DEFAULT_DEMO_PASSWORD}"
    )
    assert "[##############################] 298/298 doctor accounts" in output
    # two rooms per clinic; chiefs hold expert clinics in 1诊室, residents general ones in 2诊室
    assert ConsultingRoom.objects.count() == 30
    # the famous doctors' Saturday clinics release through the queue (排队放号)
    queued = ClinicSession.objects.filter(release_queue=True)
    assert queued.exists()
    assert {s.date.weekday() for s in queued} == {5}
    assert {s.clinic_type for s in queued} == {"expert"}
    assert set(
        BookingRule.objects.values_list("release_queue_demand_factor", flat=True)
    ) == {5}
    assert (
        ConsultingRoom.objects.exclude(hospital=F("department__hospital")).exists()
        is False
    )
    assert set(
        ScheduleTemplate.objects.values_list(
            "doctor__title", "clinic_type", "room__name"
        )
    ) == {
        ("chief", "expert", "1诊室"),
        ("associate_chief", "specialist", "1诊室"),
        ("attending", "general", "2诊室"),
        ("resident", "general", "2诊室"),
    }
    sessions = ClinicSession.objects.all()
    assert sessions.exists()
    assert sessions.filter(room__isnull=True).exists() is False
    assert sessions.exclude(clinic_type=F("template__clinic_type")).exists() is False


def test_the_senior_doctors_take_online_consults_and_one_per_hospital_answers_them():
    # when
    output = _seed()

    # then: chiefs for 50 元, associate chiefs for 30 元, nobody else
    offers = ConsultOffer.objects.select_related("doctor")
    assert sorted({(o.doctor.title, o.fee, o.enabled) for o in offers}) == [
        ("associate_chief", 3000, True),
        ("chief", 5000, True),
    ]
    assert (
        offers.count()
        == Doctor.objects.filter(title__in=("chief", "associate_chief")).count()
    )
    # each hospital's first chief physician has a doctor account, as printed
    linked = Doctor.objects.filter(user__isnull=False).select_related("user")
    assert sorted((d.user.username, d.hospital.name, d.title) for d in linked) == [
        ("doctor_nanshan", "广州南山中医医院", "chief"),
        ("doctor_renhe", "北京仁和医院", "chief"),
        ("doctor_ruikang", "上海瑞康医院", "chief"),
    ]
    assert all(d.user.role == User.Role.DOCTOR for d in linked)
    assert all(d.user.check_password(people.DEFAULT_DEMO_PASSWORD) for d in linked)
    assert "doctor_renhe (北京仁和医院)" in output.rstrip().splitlines()[-1]


def test_seed_writes_an_operation_log_for_every_created_row():
    # when
    _seed()

    # then
    actions = list(OperationLog.objects.values_list("action", flat=True))
    assert actions.count("hospital.create") == 3
    assert actions.count("department.create") == 23
    assert actions.count("doctor.create") == 60
    assert actions.count("room.create") == 30
    assert actions.count("user_create_by_admin") == 10
    assert actions.count("patient_profile_create") == 5
    # Staff need no group: their role brings their permissions.
    assert actions.count("group_permissions_add_by_seed") == 0
    assert actions.count("user_group_add_by_seed") == 0


def test_seed_twice_creates_nothing_and_writes_no_logs():
    # given
    _seed()
    before = _snapshot()

    # when
    output = _seed()

    # then
    assert _snapshot() == before
    assert "Demo data: 0 created, 298 already present" in output


def test_seed_leaves_rows_that_staff_changed_alone():
    # given
    _seed()
    Hospital.objects.filter(name="北京仁和医院").update(phone="010-00000000")
    Doctor.objects.filter(name="张伟").update(fee=6000)
    logs = OperationLog.objects.count()

    # when
    _seed()

    # then
    assert Hospital.objects.get(name="北京仁和医院").phone == "010-00000000"
    assert Doctor.objects.get(name="张伟").fee == 6000
    assert OperationLog.objects.count() == logs


def test_seed_fills_in_only_what_is_missing():
    # given
    _seed()
    doctor = Doctor.objects.get(name="刘洋")
    ClinicSession.objects.filter(doctor=doctor).delete()
    ScheduleTemplate.objects.filter(doctor=doctor).delete()
    Doctor.objects.filter(pk=doctor.pk).delete()

    # when
    output = _seed()

    # then
    assert Doctor.objects.count() == 60
    assert "Demo data: 4 created, 294 already present" in output
    assert "doctors 1/59" in output
    assert "templates 2/133" in output
    assert ClinicSession.objects.filter(doctor__name="刘洋").exists()
    assert OperationLog.objects.filter(action="doctor.create").count() == 61


def test_seed_takes_the_admin_password_from_the_environment(monkeypatch):
    # given
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "Another-Strong-Pass-42")

    # when
    output = _seed()

    # then
    admin = User.objects.get(username="admin")
    assert admin.check_password("Another-Strong-Pass-42") is True
    assert (admin.is_superuser, admin.is_staff, admin.role) == (
        True,
        True,
        "platform_admin",
    )
    assert "password: Another-Strong-Pass-42" in output


def test_seed_says_so_when_the_admin_password_was_not_changed(monkeypatch):
    # given
    _seed()
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "Another-Strong-Pass-42")

    # when
    output = _seed()

    # then
    assert User.objects.get(username="admin").check_password(
        people.DEFAULT_DEMO_PASSWORD
    )
    assert "it was not changed" in output


def test_seed_refuses_a_weak_admin_password_and_writes_nothing(monkeypatch):
    # given
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "123")

    # when
    with pytest.raises(CommandError, match="DEMO_ADMIN_PASSWORD is too weak"):
        _seed()

    # then
    assert Hospital.objects.exists() is False
    assert User.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_a_failing_step_rolls_the_whole_seed_back(monkeypatch):
    # given
    def fail(ctx, item):
        raise CommandError("broken step")

    monkeypatch.setattr(
        story, "SEED_STEPS", [*story.SEED_STEPS, SeedStep("broken", [1], fail)]
    )

    # when
    with pytest.raises(CommandError, match="broken step"):
        _seed()

    # then
    assert Hospital.objects.exists() is False
    assert User.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_id_card_check_character_follows_gb_11643():
    # The standard's own example number.
    assert people.id_card_number("11010519491231002") == "11010519491231002X"
    # And every demo number agrees with the accounts app's own check.
    for _phone, _name, _relation, number in people.profile_items():
        assert number[17] == id_card_check_char(number[:17])


def test_seeded_profiles_carry_valid_id_numbers_matching_gender_and_birth():
    # when
    _seed()

    # then
    for profile in PatientProfile.objects.all():
        info = parse_id_card(profile_id_card_no(profile))
        assert (info.gender, info.birth_date) == (profile.gender, profile.birth_date)
    child = PatientProfile.objects.get(name_hash=name_lookup_hash("李小雨"))
    assert (child.relation, child.gender, child.user.phone) == (
        "child",
        "female",
        "13800138001",
    )


def test_seeded_staff_work_in_the_admin_on_their_own_hospital_only(client):
    # given
    _seed()
    staff = User.objects.get(username="staff_renhe")
    client.force_login(staff)

    # when
    changelist = client.get(reverse("admin:hospitals_doctor_changelist"))
    add_doctor = client.get(reverse("admin:hospitals_doctor_add"))
    add_hospital = client.get(reverse("admin:hospitals_hospital_add"))

    # then
    assert (staff.role, staff.is_staff, staff.hospital.name) == (
        "hospital_staff",
        True,
        "北京仁和医院",
    )
    assert staff.groups.exists() is False
    assert Group.objects.exists() is False
    assert changelist.status_code == 200
    doctors = changelist.context["cl"].result_list
    assert len(doctors) == 28
    assert {d.hospital.name for d in doctors} == {"北京仁和医院"}
    assert add_doctor.status_code == 200
    assert add_hospital.status_code == 403
    assert staff.has_perm("scheduling.change_clinicsession") is True
    assert staff.has_perm("appointments.delete_appointment") is False


def test_seeded_staff_open_the_desk_lists_with_their_role_alone(client):
    # given a seeded desk account: no group, no permission of its own
    _seed()
    staff = User.objects.get(username="staff_ruikang")
    client.force_login(staff)

    # when it opens the appointment, session and refund lists
    pages = {
        name: client.get(reverse(f"admin:{name}_changelist"))
        for name in (
            "appointments_appointment",
            "scheduling_clinicsession",
            "billing_refund",
        )
    }

    # then its role lets it in, to its own hospital's sessions only
    assert staff.groups.exists() is False
    assert staff.user_permissions.exists() is False
    assert {name: page.status_code for name, page in pages.items()} == {
        "appointments_appointment": 200,
        "scheduling_clinicsession": 200,
        "billing_refund": 200,
    }
    sessions = pages["scheduling_clinicsession"].context["cl"].queryset
    assert sessions.exists() is True
    assert set(sessions.values_list("doctor__hospital__name", flat=True)) == {
        "上海瑞康医院"
    }


def test_the_printed_admin_login_follows_the_servers_address():
    # given: make run serving on another port passes its address
    out = StringIO()

    # when
    call_command("seed_demo", "--admin-url", "http://127.0.0.1:8124/admin/", stdout=out)

    # then
    assert (
        "Admin login: http://127.0.0.1:8124/admin/  username: admin" in out.getvalue()
    )

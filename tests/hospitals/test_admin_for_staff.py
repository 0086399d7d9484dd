"""The catalogue admin as a hospital's staff use it: yuan, Chinese words, their role's rights."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from common import events
from common.events import subscribe
from common.models import OperationLog
from hospitals.events import HospitalCreated
from hospitals.models import Doctor, Hospital
from tests.hospitals.factories import DepartmentFactory, DoctorFactory, HospitalFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


def _user(hospital: Hospital | None, role: str, **extra) -> User:
    """A staff account with no groups and no per-user permissions: only its role."""
    return User.objects.create_user(
        username=f"{role}{hospital.pk if hospital else ''}",
        role=role,
        hospital=hospital,
        is_staff=True,
        **extra,
    )


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser(username="root", password="x")


def _new_doctor(department, **changes) -> dict:
    data = {
        "hospital": department.hospital_id,
        "department": department.pk,
        "name": "张三",
        "title": "chief",
        "fee": "50",
        "is_active": "on",
        "_save": "Save",
    }
    return data | changes


# -- the fee in yuan ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "fen"), [("50", 5000), ("12.50", 1250), ("¥8", 800), ("0", 0)]
)
def test_staff_type_the_fee_in_yuan_and_fen_are_stored(client, superuser, typed, fen):
    # given
    department = DepartmentFactory()
    client.force_login(superuser)

    # when
    response = client.post(
        reverse("admin:hospitals_doctor_add"), _new_doctor(department, fee=typed)
    )

    # then
    assert response.status_code == 302
    assert Doctor.objects.get().fee == fen


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "5000",
            "5000 yuan is implausibly large; the largest accepted amount is 2000 yuan.",
        ),
        (
            "0.5",
            "0.5 yuan is implausibly small; the smallest accepted amount is 1 yuan.",
        ),
        (
            "50.005",
            "Enter an amount in yuan with at most two decimals, e.g. 50 or 12.50.",
        ),
        ("-5", "Enter an amount in yuan with at most two decimals, e.g. 50 or 12.50."),
    ],
)
def test_an_implausible_fee_is_refused_next_to_the_field(
    client, superuser, typed, message
):
    # given
    department = DepartmentFactory()
    client.force_login(superuser)

    # when
    response = client.post(
        reverse("admin:hospitals_doctor_add"), _new_doctor(department, fee=typed)
    )

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"fee": [message]}
    assert Doctor.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_the_change_form_shows_the_stored_fee_in_yuan(client, superuser):
    # given
    doctor = DoctorFactory(fee=1250)
    client.force_login(superuser)

    # when
    response = client.get(reverse("admin:hospitals_doctor_change", args=[doctor.pk]))

    # then
    assert response.context["adminform"].form["fee"].value() == "12.50"
    assert 'name="fee" value="12.50"' in response.content.decode()


# -- the doctor's name in pickers --------------------------------------------------------


def test_a_doctor_reads_department_name_and_title_without_extra_queries(
    django_assert_num_queries,
):
    # given
    DoctorFactory(
        name="张三",
        title=Doctor.Title.CHIEF,
        department=DepartmentFactory(name="内科"),
    )
    DoctorFactory(name="李四", department=DepartmentFactory(name="外科"))

    # when
    with django_assert_num_queries(1), translation.override("zh-hans"):
        labels = [
            str(d) for d in Doctor.objects.select_related("department").order_by("pk")
        ]

    # then
    assert labels == ["内科 · 张三（主任医师）", "外科 · 李四（主治医师）"]


def test_a_doctor_without_its_department_loaded_never_queries_for_it(
    django_assert_num_queries,
):
    # given
    DoctorFactory(name="张三", title=Doctor.Title.CHIEF)
    doctor = Doctor.objects.get()

    # when
    with django_assert_num_queries(0), translation.override("zh-hans"):
        label = str(doctor)

    # then
    assert label == "张三（主任医师）"


def test_the_doctor_admins_rows_carry_their_department_for_pickers(
    superuser, rf, django_assert_num_queries
):
    # given: the doctor admin's queryset also serves autocomplete pickers
    DoctorFactory.create_batch(3)
    request = rf.get("/admin/")
    request.user = superuser
    model_admin = admin.site._registry[Doctor]

    # when
    with django_assert_num_queries(1):
        labels = [str(d) for d in model_admin.get_queryset(request)]

    # then
    assert all(" · " in label for label in labels)


# -- what a hospital's staff see -----------------------------------------------------------


def test_a_hospitals_staff_manage_its_catalogue_with_their_role_alone(client):
    # given: no group, no per-user permission
    hospital = HospitalFactory()
    department = DepartmentFactory(hospital=hospital)
    staff = _user(hospital, User.Role.HOSPITAL_STAFF)
    client.force_login(staff)

    # when
    listed = client.get(reverse("admin:hospitals_doctor_changelist"))
    added = client.post(reverse("admin:hospitals_doctor_add"), _new_doctor(department))
    add_hospital = client.get(reverse("admin:hospitals_hospital_add"))

    # then
    assert staff.groups.exists() is False
    assert staff.user_permissions.exists() is False
    assert listed.status_code == 200
    assert added.status_code == 302
    assert Doctor.objects.get().hospital == hospital
    assert add_hospital.status_code == 403


def test_a_doctor_looks_the_catalogue_up_but_changes_nothing(client):
    # given
    doctor = DoctorFactory(fee=2000)
    user = _user(doctor.hospital, User.Role.DOCTOR)
    client.force_login(user)

    # when
    listed = client.get(reverse("admin:hospitals_doctor_changelist"))
    changed = client.post(
        reverse("admin:hospitals_doctor_change", args=[doctor.pk]),
        {
            "department": doctor.department_id,
            "name": doctor.name,
            "title": "chief",
            "fee": "1",
        },
    )
    add = client.get(reverse("admin:hospitals_doctor_add"))

    # then
    assert listed.status_code == 200
    assert changed.status_code == 403
    assert add.status_code == 403
    assert Doctor.objects.get().fee == 2000
    assert OperationLog.objects.exists() is False


@pytest.mark.parametrize("model", ["doctor", "department", "consultingroom"])
def test_staff_lists_have_no_hospital_filter_or_column(client, superuser, model):
    # given: two hospitals, so the filter would have something to offer
    a = DoctorFactory().hospital
    DoctorFactory()
    url = reverse(f"admin:hospitals_{model}_changelist")

    # when
    client.force_login(_user(a, User.Role.HOSPITAL_STAFF))
    as_staff = client.get(url).context["cl"]
    client.force_login(superuser)
    as_platform = client.get(url).context["cl"]

    # then
    assert "hospital" not in as_staff.list_display
    assert "hospital" not in as_staff.list_filter
    assert "hospital" in as_platform.list_display
    assert "hospital" in as_platform.list_filter


def test_staff_keep_their_hospitals_page_but_not_its_name_or_grade(client):
    # given
    hospital = HospitalFactory(name="仁和医院", level="2A", phone="010-1")
    client.force_login(_user(hospital, User.Role.HOSPITAL_STAFF))

    # when
    response = client.post(
        reverse("admin:hospitals_hospital_change", args=[hospital.pk]),
        {
            "name": "仁和国际医院",
            "level": "3A",
            "region": hospital.region,
            "address": hospital.address,
            "phone": "010-2",
            "is_open": "on",
            "_save": "Save",
        },
    )

    # then
    assert response.status_code == 302
    hospital.refresh_from_db()
    assert (hospital.name, hospital.level, hospital.phone) == (
        "仁和医院",
        "2A",
        "010-2",
    )
    assert OperationLog.objects.get().summary == "仁和医院: phone"


def test_a_hospital_added_in_the_admin_announces_itself(client, superuser, monkeypatch):
    # given: a subscriber like scheduling's (which gives the hospital its booking rule)
    monkeypatch.setattr(events, "_SUBSCRIPTIONS", events.defaultdict(list))
    announced = []
    subscribe(HospitalCreated, announced.append)
    client.force_login(superuser)

    # when
    response = client.post(
        reverse("admin:hospitals_hospital_add"),
        {
            "name": "仁和医院",
            "level": "3A",
            "region": "北京市朝阳区",
            "address": "朝阳路1号",
            "phone": "010-1",
            "is_open": "on",
            "_save": "Save",
        },
    )

    # then
    assert response.status_code == 302
    assert announced == [HospitalCreated(hospital_id=Hospital.objects.get().pk)]


# -- in Chinese ------------------------------------------------------------------------------


def test_the_doctor_list_reads_in_chinese(client, superuser):
    # given
    DoctorFactory(fee=5005, hospital=HospitalFactory())
    DoctorFactory()
    client.force_login(superuser)

    # when
    with translation.override("zh-hans"):
        response = client.get(
            reverse("admin:hospitals_doctor_changelist"), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        headers = [str(h["text"]) for h in response.context["result_headers"]]
        filters = [str(spec.title) for spec in response.context["cl"].filter_specs]

    # then
    html = response.content.decode()
    assert headers[1:] == ["姓名", "职称", "科室", "医院", "挂号费", "有效"]
    assert filters == ["职称", "有效", "医院"]
    assert '<td class="field-fee_display">¥50.05</td>' in html
    assert "以 医院" in html


def test_people_and_institutions_get_the_right_chinese_words():
    with translation.override("zh-hans"):
        doctor = {f.name: str(f.verbose_name) for f in Doctor._meta.fields}
        hospital = {f.name: str(f.verbose_name) for f in Hospital._meta.fields}
        app = str(Hospital._meta.app_config.verbose_name)

    assert (doctor["name"], doctor["title"], doctor["fee"]) == (
        "姓名",
        "职称",
        "挂号费",
    )
    assert (hospital["name"], hospital["phone"]) == ("名称", "电话")
    assert app == "医院"

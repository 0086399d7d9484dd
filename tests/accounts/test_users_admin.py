"""Onboarding staff in the user admin: defaults, the hospital rule, what a role brings."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from accounts.admin.permissions import permission_label
from accounts.models import User
from common.models import OperationLog
from tests.accounts.factories import HospitalFactory, PatientFactory, StaffFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Strong-pass-123"
HOSPITAL_REQUIRED = "Doctors and hospital staff belong to a hospital: choose theirs."


@pytest.fixture
def root() -> User:
    return User.objects.create_superuser(
        "root", password=PASSWORD, role=User.Role.PLATFORM_ADMIN
    )


@pytest.fixture
def platform_admin() -> User:
    # No groups, no per-user permissions: the role brings them.
    return PatientFactory(role=User.Role.PLATFORM_ADMIN, is_staff=True)


def _new_user(**fields) -> dict:
    return {
        "username": "newcomer",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "role": "hospital_staff",
        "is_staff": "on",
        "_save": "Save",
    } | fields


# -- the add form --------------------------------------------------------------------------


def test_a_new_account_is_a_staff_account_by_default(client, platform_admin):
    client.force_login(platform_admin)

    response = client.get(reverse("admin:accounts_user_add"))

    form = response.context["adminform"].form
    assert response.status_code == 200
    assert form["role"].value() == "hospital_staff"
    assert form["is_staff"].value() is True
    assert form["hospital"].value() is None


def test_a_hospitals_staff_member_adding_an_account_gets_their_hospital_filled_in(
    client,
):
    # given: the role alone lets them onboard colleagues
    hospital = HospitalFactory()
    HospitalFactory()
    staff = StaffFactory(hospital=hospital)
    client.force_login(staff)

    # when
    page = client.get(reverse("admin:accounts_user_add"))
    response = client.post(
        reverse("admin:accounts_user_add"),
        _new_user(role="doctor", hospital=hospital.pk),
    )

    # then
    form = page.context["adminform"].form
    assert form["hospital"].value() == hospital.pk
    assert list(form.fields["hospital"].queryset) == [hospital]
    assert response.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert (newcomer.role, newcomer.hospital, newcomer.is_staff) == (
        "doctor",
        hospital,
        True,
    )
    assert OperationLog.objects.get().action == "user_create_by_admin"


def test_a_hospitals_staff_member_cannot_add_an_account_elsewhere_or_above_them(
    client,
):
    # given
    hospital, other = HospitalFactory(), HospitalFactory()
    client.force_login(StaffFactory(hospital=hospital))

    # when
    response = client.post(
        reverse("admin:accounts_user_add"),
        _new_user(role="platform_admin", hospital=other.pk),
    )

    # then
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"role", "hospital"}
    assert User.objects.filter(username="newcomer").exists() is False
    assert OperationLog.objects.exists() is False


def test_a_staff_account_without_a_hospital_is_refused_on_the_hospital_field(
    client, root
):
    client.force_login(root)

    response = client.post(reverse("admin:accounts_user_add"), _new_user())

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "hospital": [HOSPITAL_REQUIRED]
    }
    assert User.objects.filter(username="newcomer").exists() is False
    assert OperationLog.objects.exists() is False


def test_the_missing_hospital_reads_in_chinese_not_as_a_constraint_name(client, root):
    client.force_login(root)

    with translation.override("zh-hans"):
        response = client.post(
            reverse("admin:accounts_user_add"),
            _new_user(role="doctor"),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        errors = {
            k: [str(m) for m in v]
            for k, v in response.context["adminform"].form.errors.items()
        }

    html = response.content.decode()
    assert errors == {
        "hospital": ["医生和医院工作人员必须隶属于一家医院，请选择其所属医院。"]
    }
    assert "user_staff_and_doctors_have_hospital" not in html


@pytest.mark.parametrize("role", ["doctor", "hospital_staff"])
def test_the_model_names_the_hospital_field_when_it_is_missing(role):
    user = User(username="x", password="x", role=role)

    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()

    assert excinfo.value.message_dict == {"hospital": [HOSPITAL_REQUIRED]}


@pytest.mark.parametrize("role", ["patient", "platform_admin"])
def test_patients_and_platform_admins_need_no_hospital(role):
    User(username="x", password="x", role=role).full_clean()


# -- what the role brings --------------------------------------------------------------------


def test_the_user_page_shows_what_the_role_brings_read_only(client, root):
    # given
    staff = StaffFactory()
    client.force_login(root)

    # when
    with translation.override("zh-hans"):
        response = client.get(
            reverse("admin:accounts_user_change", args=[staff.pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

    # then
    html = response.content.decode()
    start = html.index("field-role_permission_list")
    shown = html[start : html.index("field-groups", start)]
    assert "role_permission_list" not in response.context["adminform"].form.fields
    assert "<div>医院 | 医生 | 可以修改</div>" in shown
    assert "<div>账户与就诊人 | 用户 | 可以添加</div>" in shown
    assert "医院 | 医院 | 可以添加" not in shown


def test_a_patients_page_says_the_role_brings_nothing(client, root):
    patient = PatientFactory()
    client.force_login(root)

    response = client.get(reverse("admin:accounts_user_change", args=[patient.pk]))

    assert "None: this role brings no admin permissions." in response.content.decode()


def test_a_platform_admin_works_with_the_role_alone(client, platform_admin):
    # given
    staff = StaffFactory()
    client.force_login(platform_admin)

    # when
    users = client.get(reverse("admin:accounts_user_changelist"))
    profiles = client.get(reverse("admin:accounts_patientprofile_changelist"))
    levels = client.get(reverse("admin:accounts_memberlevel_changelist"))
    hospitals = client.get(reverse("admin:hospitals_hospital_add"))

    # then
    assert platform_admin.groups.exists() is False
    assert [r.status_code for r in (users, profiles, levels, hospitals)] == [200] * 4
    assert staff in users.context["cl"].result_list


# -- lists for a hospital's staff -------------------------------------------------------------


def test_staff_see_no_hospital_or_membership_columns_and_filters(client, root):
    # given
    hospital = HospitalFactory()
    HospitalFactory()
    url = reverse("admin:accounts_user_changelist")

    # when
    client.force_login(StaffFactory(hospital=hospital))
    as_staff = client.get(url).context["cl"]
    client.force_login(root)
    as_platform = client.get(url).context["cl"]

    # then
    hidden = {"hospital", "member_level", "points"}
    assert hidden & set(as_staff.list_display) == set()
    assert hidden & set(as_staff.list_filter) == set()
    assert hidden <= set(as_platform.list_display)
    assert {"hospital", "member_level"} <= set(as_platform.list_filter)


# -- the permission list in Chinese ------------------------------------------------------------


def test_the_group_form_lists_permissions_in_chinese(client, root):
    client.force_login(root)

    with translation.override("zh-hans"):
        response = client.get(
            reverse("admin:auth_group_add"), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        field = response.context["adminform"].form.fields["permissions"]
        labels = {label for _value, label in field.choices}

    assert "医院 | 医生 | 可以修改" in labels
    assert "医院 | 科室 | 可以删除" in labels
    assert "账户与就诊人 | 会员等级 | 可以查看" in labels
    assert not any("Can add" in label for label in labels)


def test_the_user_form_lists_permissions_in_chinese_in_one_query(
    client, root, django_assert_max_num_queries
):
    staff = StaffFactory()
    client.force_login(root)

    with translation.override("zh-hans"):
        response = client.get(
            reverse("admin:accounts_user_change", args=[staff.pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        field = response.context["adminform"].form.fields["user_permissions"]
        with django_assert_max_num_queries(1):
            labels = [label for _value, label in field.choices]

    assert "医院 | 医生 | 可以添加" in labels
    assert len(labels) == Permission.objects.count()


def test_a_custom_permission_shows_its_own_name():
    permission = Permission.objects.create(
        codename="export_doctor",
        name="Export the doctor list",
        content_type=Permission.objects.get(codename="view_doctor").content_type,
    )

    with translation.override("zh-hans"):
        label = permission_label(permission)

    assert label == "医院 | 医生 | Export the doctor list"


def test_saving_a_group_keeps_the_chosen_permissions(client, root):
    client.force_login(root)
    chosen = Permission.objects.get(codename="change_doctor")

    response = client.post(
        reverse("admin:auth_group_add"), {"name": "挂号处", "permissions": [chosen.pk]}
    )

    assert response.status_code == 302
    assert list(Group.objects.get(name="挂号处").permissions.all()) == [chosen]


def test_a_platform_admin_reads_a_users_extra_permissions_in_chinese(
    client, platform_admin
):
    # given
    staff = StaffFactory()
    staff.user_permissions.add(Permission.objects.get(codename="view_pointsentry"))
    client.force_login(platform_admin)

    # when
    with translation.override("zh-hans"):
        response = client.get(
            reverse("admin:accounts_user_change", args=[staff.pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )

    # then
    html = response.content.decode()
    assert "user_permissions" not in response.context["adminform"].form.fields
    assert "<div>账户与就诊人 | 积分明细 | 可以查看</div>" in html
    assert "Can view points entry" not in html


# -- the phone: stored as a hash and a ciphertext ----------------------------------------


def _change_data(client, user: User, **changes) -> dict:
    page = client.get(reverse("admin:accounts_user_change", args=[user.pk]))
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form.initial.get(name, field.initial)
        if value is None:
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if hasattr(value, "__iter__") and not isinstance(value, str):
            data[name] = [getattr(v, "pk", v) for v in value]
            continue
        data[name] = getattr(value, "pk", value)
    if "date_joined" in data:
        joined = form.initial["date_joined"]
        data.pop("date_joined")
        data["date_joined_0"] = f"{joined:%Y-%m-%d}"
        data["date_joined_1"] = f"{joined:%H:%M:%S}"
    return data | changes


def test_an_admin_sets_a_phone_that_is_stored_hashed(client, root):
    # given
    client.force_login(root)
    user = PatientFactory(phone=None)

    # when
    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _change_data(client, user, phone="13912345678"),
    )

    # then
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.phone == "13912345678"
    assert user.phone_hash == User(phone="13912345678").phone_hash
    found = client.get(reverse("admin:accounts_user_changelist"), {"q": "13912345678"})
    assert [u.pk for u in found.context["cl"].result_list] == [user.pk]


def test_an_admin_cannot_give_a_second_account_the_same_phone(client, root):
    # given
    client.force_login(root)
    PatientFactory(phone="13912345678")
    user = PatientFactory(phone="13900000000")

    # when
    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _change_data(client, user, phone="13912345678"),
    )

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["phone"] == [
        "Another account already uses this phone number."
    ]
    user.refresh_from_db()
    assert user.phone == "13900000000"

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import PatientProfile, User
from common.models import OperationLog
from common.services import Actor, operation_log_write
from tests.accounts.factories import (
    HospitalFactory,
    PatientFactory,
    PatientProfileFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"


def _grant(user: User, *codenames: str) -> User:
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return User.objects.get(pk=user.pk)  # drop the permission cache


@pytest.fixture
def hospital_a():
    return HospitalFactory(name="甲医院")


@pytest.fixture
def hospital_b():
    return HospitalFactory(name="乙医院")


@pytest.fixture
def staff_a(hospital_a):
    return _grant(
        StaffFactory(hospital=hospital_a, username="staff_a"),
        "view_user",
        "change_user",
        "add_user",
        "view_patientprofile",
        "view_operationlog",
    )


def test_staff_log_in_to_the_admin_with_username_and_password(client, staff_a):
    response = client.post(
        reverse("admin:login"),
        {"username": "staff_a", "password": "Strong-pass-123", "next": "/admin/"},
    )

    assert response.status_code == 302
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_patient_cannot_log_in_to_the_admin(client):
    PatientFactory(username="pat")

    response = client.post(
        reverse("admin:login"), {"username": "pat", "password": "Strong-pass-123"}
    )

    assert response.status_code == 200  # the form again, with an error
    assert client.get("/admin/").status_code == 302


def test_staff_see_only_their_own_hospitals_users(
    client, staff_a, hospital_a, hospital_b
):
    # given
    colleague = StaffFactory(hospital=hospital_a, username="colleague_a")
    StaffFactory(hospital=hospital_b, username="stranger_b")
    PatientFactory(username="some_patient")
    client.force_login(staff_a)

    # when
    response = client.get(reverse("admin:accounts_user_changelist"))

    # then
    assert response.status_code == 200
    shown = {user.username for user in response.context["cl"].result_list}
    assert shown == {"staff_a", colleague.username}


def test_staff_cannot_open_another_hospitals_user(client, staff_a, hospital_b):
    stranger = StaffFactory(hospital=hospital_b, username="stranger_b")
    client.force_login(staff_a)

    response = client.get(reverse("admin:accounts_user_change", args=[stranger.pk]))

    # the admin treats an object outside the queryset as missing
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_staff_cannot_change_another_hospitals_user(client, staff_a, hospital_b):
    stranger = StaffFactory(hospital=hospital_b, username="stranger_b", nickname="原")
    client.force_login(staff_a)

    client.post(
        reverse("admin:accounts_user_change", args=[stranger.pk]),
        {"username": "stranger_b", "nickname": "改", "role": "hospital_staff"},
    )

    stranger.refresh_from_db()
    assert stranger.nickname == "原"
    assert OperationLog.objects.exists() is False


def test_staff_forms_offer_only_their_hospital_and_staff_roles(
    client, staff_a, hospital_a, hospital_b
):
    client.force_login(staff_a)

    response = client.get(reverse("admin:accounts_user_add"))

    form = response.context["adminform"].form
    assert list(form.fields["hospital"].queryset) == [hospital_a]
    assert [value for value, _ in form.fields["role"].choices] == [
        "doctor",
        "hospital_staff",
    ]


def test_staff_edit_saves_through_the_service_with_one_log_row(
    client, staff_a, hospital_a, hospital_b
):
    # given
    colleague = StaffFactory(hospital=hospital_a, username="colleague_a")
    client.force_login(staff_a)

    # when
    response = client.post(
        reverse("admin:accounts_user_change", args=[colleague.pk]),
        {
            "username": "colleague_a",
            "role": "doctor",
            "hospital": hospital_a.pk,
            "nickname": "李医生",
            "phone": "",
            "is_active": "on",
            "is_staff": "on",
        },
    )

    # then
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert (colleague.role, colleague.nickname) == ("doctor", "李医生")
    [log] = OperationLog.objects.all()
    assert (log.action, log.actor, log.object_id) == (
        "user_update_by_admin",
        staff_a,
        str(colleague.pk),
    )
    assert log.summary == "changed: nickname, role"


def test_staff_cannot_move_a_colleague_to_another_hospital(
    client, staff_a, hospital_a, hospital_b
):
    colleague = StaffFactory(hospital=hospital_a, username="colleague_a")
    client.force_login(staff_a)

    response = client.post(
        reverse("admin:accounts_user_change", args=[colleague.pk]),
        {
            "username": "colleague_a",
            "role": "platform_admin",
            "hospital": hospital_b.pk,
            "is_active": "on",
        },
    )

    assert response.status_code == 200  # the form with errors
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"role", "hospital"}
    colleague.refresh_from_db()
    assert (colleague.role, colleague.hospital) == ("hospital_staff", hospital_a)
    assert OperationLog.objects.exists() is False


def test_staff_add_form_applies_the_password_validators(client, staff_a, hospital_a):
    client.force_login(staff_a)

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newdoc",
            "password1": "123",
            "password2": "123",
            "role": "doctor",
            "hospital": hospital_a.pk,
        },
    )

    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert User.objects.filter(username="newdoc").exists() is False


def test_superuser_sees_every_hospital(client, hospital_a, hospital_b):
    StaffFactory(hospital=hospital_a)
    StaffFactory(hospital=hospital_b)
    PatientFactory()
    root = User.objects.create_superuser(
        "root", password="Strong-pass-123", role="platform_admin"
    )
    client.force_login(root)

    response = client.get(reverse("admin:accounts_user_changelist"))

    assert response.context["cl"].result_count == 4


def test_platform_admin_sees_every_hospital(client, hospital_a, hospital_b):
    StaffFactory(hospital=hospital_a)
    StaffFactory(hospital=hospital_b)
    admin_user = _grant(
        PatientFactory(role="platform_admin", is_staff=True), "view_user"
    )
    client.force_login(admin_user)

    response = client.get(reverse("admin:accounts_user_changelist"))

    assert response.context["cl"].result_count == 3


def test_users_cannot_be_deleted_in_the_admin(client, hospital_a):
    root = User.objects.create_superuser(
        "root", password="Strong-pass-123", role="platform_admin"
    )
    victim = StaffFactory(hospital=hospital_a)
    client.force_login(root)

    response = client.post(
        reverse("admin:accounts_user_delete", args=[victim.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert User.objects.filter(pk=victim.pk).exists()


# -- patient profiles --------------------------------------------------------------------


def test_hospital_staff_cannot_see_patient_profiles(client, staff_a):
    profile = PatientProfileFactory()
    client.force_login(staff_a)

    changelist = client.get(reverse("admin:accounts_patientprofile_changelist"))
    change = client.get(
        reverse("admin:accounts_patientprofile_change", args=[profile.pk])
    )

    assert changelist.status_code == 403
    assert change.status_code == 403


def test_superuser_sees_profiles_masked_without_plaintext(client):
    profile = PatientProfileFactory(id_card_no=ID, phone="13812341234")
    root = User.objects.create_superuser(
        "root", password="Strong-pass-123", role="platform_admin"
    )
    client.force_login(root)

    changelist = client.get(reverse("admin:accounts_patientprofile_changelist"))
    change = client.get(
        reverse("admin:accounts_patientprofile_change", args=[profile.pk])
    )

    for response in (changelist, change):
        html = response.content.decode()
        assert response.status_code == 200
        assert "110***********002X" in html
        assert "138****1234" in html
        assert ID not in html
        assert "13812341234" not in html
        assert profile.id_card_encrypted not in html


def test_profiles_can_be_found_by_full_id_number(client):
    wanted = PatientProfileFactory(id_card_no=ID)
    PatientProfileFactory()
    root = User.objects.create_superuser(
        "root", password="Strong-pass-123", role="platform_admin"
    )
    client.force_login(root)

    response = client.get(
        reverse("admin:accounts_patientprofile_changelist"), {"q": ID.lower()}
    )

    assert [p.pk for p in response.context["cl"].result_list] == [wanted.pk]


def test_profile_admin_edit_goes_through_the_service(client):
    profile = PatientProfileFactory(name="旧名")
    root = User.objects.create_superuser(
        "root", password="Strong-pass-123", role="platform_admin"
    )
    client.force_login(root)

    response = client.post(
        reverse("admin:accounts_patientprofile_change", args=[profile.pk]),
        {"name": "新名", "relation": "parent"},
    )

    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.name, profile.relation) == ("新名", "parent")
    [log] = OperationLog.objects.all()
    assert (log.action, log.actor) == ("patient_profile_update", root)


def test_profiles_cannot_be_added_or_deleted_in_the_admin(client):
    profile = PatientProfileFactory()
    root = User.objects.create_superuser(
        "root", password="Strong-pass-123", role="platform_admin"
    )
    client.force_login(root)

    add = client.get(reverse("admin:accounts_patientprofile_add"))
    delete = client.post(
        reverse("admin:accounts_patientprofile_delete", args=[profile.pk]),
        {"post": "yes"},
    )

    assert (add.status_code, delete.status_code) == (403, 403)
    assert PatientProfile.objects.filter(pk=profile.pk, is_active=True).exists()


# -- operation log -----------------------------------------------------------------------


def test_the_operation_log_is_read_only_for_superusers(client):
    root = User.objects.create_superuser(
        "root", password="Strong-pass-123", role="platform_admin"
    )
    log = operation_log_write(actor=Actor(user=root), action="x", obj=root, summary="s")
    client.force_login(root)

    listing = client.get(reverse("admin:common_operationlog_changelist"))
    detail = client.get(reverse("admin:common_operationlog_change", args=[log.pk]))
    edit = client.post(
        reverse("admin:common_operationlog_change", args=[log.pk]), {"action": "y"}
    )
    add = client.get(reverse("admin:common_operationlog_add"))
    delete = client.post(
        reverse("admin:common_operationlog_delete", args=[log.pk]), {"post": "yes"}
    )

    assert (listing.status_code, detail.status_code) == (200, 200)
    assert (edit.status_code, add.status_code, delete.status_code) == (403, 403, 403)
    log.refresh_from_db()
    assert log.action == "x"


def test_hospital_staff_cannot_read_the_operation_log(client, staff_a):
    client.force_login(staff_a)

    response = client.get(reverse("admin:common_operationlog_changelist"))

    assert response.status_code == 403


def test_the_admin_refuses_an_invalid_phone(client, staff_a, hospital_a):
    colleague = StaffFactory(hospital=hospital_a, username="colleague_a")
    client.force_login(staff_a)

    response = client.post(
        reverse("admin:accounts_user_change", args=[colleague.pk]),
        {
            "username": "colleague_a",
            "role": "hospital_staff",
            "hospital": hospital_a.pk,
            "phone": "12345",
            "is_active": "on",
        },
    )

    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"phone"}
    colleague.refresh_from_db()
    assert colleague.phone is None
    assert OperationLog.objects.exists() is False


def test_profiles_are_found_by_the_exact_full_name_only(client):
    wanted = PatientProfileFactory(name="王小明")
    PatientProfileFactory(name="王小明明")
    root = User.objects.create_superuser(
        "root", password="Strong-pass-123", role="platform_admin"
    )
    client.force_login(root)
    url = reverse("admin:accounts_patientprofile_changelist")

    exact = client.get(url, {"q": " 王小明 "})
    part = client.get(url, {"q": "王小"})

    assert [p.pk for p in exact.context["cl"].result_list] == [wanted.pk]
    assert list(part.context["cl"].result_list) == []

import pytest
from django.contrib.auth.models import Permission

from accounts.roles import role_grant, role_permissions, role_permissions_all
from tests.accounts.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_every_declared_grant_names_a_real_permission():
    # given
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }

    # when
    declared = (
        set().union(*role_permissions_all().values())
        if role_permissions_all()
        else set()
    )

    # then
    assert declared - existing == set()


def test_a_staff_member_has_the_permissions_of_their_role_without_groups(monkeypatch):
    # given
    monkeypatch.setattr(
        "accounts.roles._GRANTS", {"hospital_staff": {"hospitals.view_doctor"}}
    )
    staff = StaffFactory()

    # then
    assert staff.groups.exists() is False
    assert staff.has_perm("hospitals.view_doctor") is True
    assert staff.has_module_perms("hospitals") is True
    assert staff.has_perm("hospitals.delete_doctor") is False
    assert staff.has_module_perms("billing") is False


def test_a_role_grants_nothing_to_inactive_or_non_staff_accounts(monkeypatch):
    monkeypatch.setattr(
        "accounts.roles._GRANTS", {"hospital_staff": {"hospitals.view_doctor"}}
    )
    inactive = StaffFactory(is_active=False)
    not_staff = StaffFactory(is_staff=False)

    assert inactive.has_perm("hospitals.view_doctor") is False
    assert not_staff.has_perm("hospitals.view_doctor") is False


def test_role_grant_refuses_a_malformed_permission(monkeypatch):
    monkeypatch.setattr("accounts.roles._GRANTS", {})

    with pytest.raises(ValueError, match="app_label.codename"):
        role_grant(role="hospital_staff", permissions=["view_doctor"])

    assert role_permissions("hospital_staff") == frozenset()


@pytest.mark.parametrize(
    ("role", "granted", "refused"),
    [
        (
            "hospital_staff",
            {
                "hospitals.change_hospital",
                "hospitals.add_doctor",
                "hospitals.delete_department",
                "accounts.add_user",
            },
            {
                "hospitals.add_hospital",
                "hospitals.delete_hospital",
                "accounts.view_patientprofile",
                "accounts.change_memberlevel",
            },
        ),
        (
            "doctor",
            {"hospitals.view_doctor", "hospitals.view_department"},
            {"hospitals.change_doctor", "accounts.view_user", "accounts.add_user"},
        ),
        (
            "platform_admin",
            {
                "hospitals.add_hospital",
                "accounts.change_user",
                "accounts.view_patientprofile",
                "accounts.change_memberlevel",
            },
            {"accounts.delete_user", "accounts.change_pointsentry"},
        ),
        ("patient", set(), {"hospitals.view_doctor", "accounts.view_user"}),
    ],
)
def test_each_role_brings_what_its_work_needs(role, granted, refused):
    brought = role_permissions(role)

    assert granted <= brought
    assert refused & brought == set()

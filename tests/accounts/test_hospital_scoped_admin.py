"""common.admin.HospitalScopedAdminMixin, exercised on throw-away ModelAdmins."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from accounts.models import PatientProfile, User
from common.admin import HospitalScopedAdminMixin, user_sees_every_hospital
from hospitals.models import Department, Doctor, Hospital
from tests.accounts.factories import (
    HospitalFactory,
    PatientFactory,
    PatientProfileFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


class DoctorAdmin(HospitalScopedAdminMixin, admin.ModelAdmin):
    hospital_field = "hospital"


class ProfileByUserHospitalAdmin(HospitalScopedAdminMixin, admin.ModelAdmin):
    # A two-step path, to prove the mixin follows relations.
    hospital_field = "user__hospital"


class HospitalAdmin(HospitalScopedAdminMixin, admin.ModelAdmin):
    hospital_field = "id"


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _doctor(hospital: Hospital, name: str = "医生") -> Doctor:
    department = Department.objects.create(hospital=hospital, name=f"科室{name}")
    return Doctor.objects.create(
        hospital=hospital, department=department, name=name, title="chief", fee=100
    )


@pytest.fixture
def two_hospitals():
    return HospitalFactory(), HospitalFactory()


def test_scoped_staff_get_only_their_hospitals_rows(two_hospitals):
    a, b = two_hospitals
    mine, theirs = _doctor(a, "甲"), _doctor(b, "乙")
    model_admin = DoctorAdmin(Doctor, admin.site)
    request = _request(StaffFactory(hospital=a))

    assert list(model_admin.get_queryset(request)) == [mine]
    assert model_admin.has_change_permission(request, theirs) is False
    assert model_admin.has_delete_permission(request, theirs) is False
    assert model_admin.has_view_permission(request, theirs) is False


def test_objects_of_the_own_hospital_fall_back_to_model_permissions(two_hospitals):
    a, _ = two_hospitals
    mine = _doctor(a)
    model_admin = DoctorAdmin(Doctor, admin.site)
    # a doctor's role brings only view permissions on the catalogue, no change
    staff = StaffFactory(hospital=a, role=User.Role.DOCTOR)

    assert model_admin.has_change_permission(_request(staff), mine) is False
    staff.is_superuser = True  # superuser: every permission, every hospital
    assert model_admin.has_change_permission(_request(staff), mine) is True


def test_superusers_and_platform_admins_see_every_hospital(two_hospitals):
    a, b = two_hospitals
    _doctor(a, "甲"), _doctor(b, "乙")
    model_admin = DoctorAdmin(Doctor, admin.site)
    platform_admin = PatientFactory(role=User.Role.PLATFORM_ADMIN, is_staff=True)
    superuser = StaffFactory(hospital=a, is_superuser=True)

    assert model_admin.get_queryset(_request(platform_admin)).count() == 2
    assert model_admin.get_queryset(_request(superuser)).count() == 2
    assert user_sees_every_hospital(platform_admin) is True
    assert user_sees_every_hospital(superuser) is True


def test_a_staff_account_without_a_hospital_sees_nothing(two_hospitals):
    _doctor(two_hospitals[0])
    odd = PatientFactory(is_staff=True)  # not a platform admin, no hospital
    model_admin = DoctorAdmin(Doctor, admin.site)

    assert model_admin.get_queryset(_request(odd)).count() == 0
    assert user_sees_every_hospital(odd) is False
    assert user_sees_every_hospital(AnonymousUser()) is False


def test_a_nested_hospital_path_is_followed(two_hospitals):
    a, b = two_hospitals
    mine = PatientProfileFactory(user=StaffFactory(hospital=a))
    theirs = PatientProfileFactory(user=StaffFactory(hospital=b))
    PatientProfileFactory()  # a patient without a hospital
    model_admin = ProfileByUserHospitalAdmin(PatientProfile, admin.site)
    request = _request(StaffFactory(hospital=a))

    assert list(model_admin.get_queryset(request)) == [mine]
    assert model_admin.object_hospital_id(theirs) == b.pk
    assert model_admin.is_object_in_scope(request, theirs) is False
    assert model_admin.is_object_in_scope(request, mine) is True


def test_the_hospital_model_itself_is_scoped_by_its_id(two_hospitals):
    a, b = two_hospitals
    model_admin = HospitalAdmin(Hospital, admin.site)
    request = _request(StaffFactory(hospital=a))

    assert list(model_admin.get_queryset(request)) == [a]
    assert model_admin.is_object_in_scope(request, b) is False


def test_foreign_key_choices_are_limited_to_the_hospital(two_hospitals):
    a, b = two_hospitals
    _doctor(a, "甲")
    _doctor(b, "乙")
    model_admin = DoctorAdmin(Doctor, admin.site)
    request = _request(StaffFactory(hospital=a))

    hospital_field = model_admin.formfield_for_foreignkey(
        Doctor._meta.get_field("hospital"), request
    )
    department_field = model_admin.formfield_for_foreignkey(
        Doctor._meta.get_field("department"), request
    )
    user_field = model_admin.formfield_for_foreignkey(
        Doctor._meta.get_field("user"), request
    )

    assert list(hospital_field.queryset) == [a]
    assert [d.hospital_id for d in department_field.queryset] == [a.pk]
    # users are scoped too: User has a direct hospital key
    assert {u.hospital_id for u in user_field.queryset} == {a.pk}


def test_foreign_key_choices_are_not_limited_for_superusers(two_hospitals):
    model_admin = DoctorAdmin(Doctor, admin.site)
    request = _request(User(is_superuser=True, role=User.Role.PLATFORM_ADMIN))

    field = model_admin.formfield_for_foreignkey(
        Doctor._meta.get_field("hospital"), request
    )

    assert field.queryset.count() == 2


class DoctorListAdmin(HospitalScopedAdminMixin, admin.ModelAdmin):
    hospital_columns = ("hospital",)
    list_display = ("name", "hospital", "department")
    list_filter = (("hospital", admin.RelatedOnlyFieldListFilter), "title")


def test_hospital_columns_are_hidden_from_scoped_staff_only(two_hospitals):
    a, _ = two_hospitals
    model_admin = DoctorListAdmin(Doctor, admin.site)
    staff = _request(StaffFactory(hospital=a))
    platform = _request(PatientFactory(role=User.Role.PLATFORM_ADMIN, is_staff=True))

    assert model_admin.get_list_display(staff) == ("name", "department")
    assert model_admin.get_list_filter(staff) == ("title",)
    assert model_admin.get_list_display(platform) == ("name", "hospital", "department")
    assert len(model_admin.get_list_filter(platform)) == 2


def test_a_user_object_that_does_not_say_it_sees_every_hospital_is_scoped():
    class OddUser:
        is_authenticated = True
        is_superuser = True  # not asked: only sees_every_hospital counts

    assert user_sees_every_hospital(OddUser()) is False


def test_the_hospital_model_comes_from_the_settings(two_hospitals, settings):
    a, _ = two_hospitals
    model_admin = DoctorAdmin(Doctor, admin.site)
    request = _request(StaffFactory(hospital=a))
    settings.HOSPITAL_MODEL = "hospitals.Department"  # any other model

    field = model_admin.formfield_for_foreignkey(
        Doctor._meta.get_field("hospital"), request
    )

    # Hospital is no longer the scoping model, and has no hospital key of its own.
    assert field.queryset.count() == 2

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common.models import OperationLog
from common.money import fen_to_yuan
from hospitals.models import Department, Doctor, Hospital
from tests.hospitals.factories import DepartmentFactory, DoctorFactory, HospitalFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


def _staff(hospital: Hospital, *codenames: str) -> User:
    user = User.objects.create_user(
        username=f"staff{hospital.pk}",
        role=User.Role.HOSPITAL_STAFF,
        hospital=hospital,
        is_staff=True,
    )
    permissions = Permission.objects.filter(content_type__app_label="hospitals")
    if codenames:
        permissions = permissions.filter(codename__in=codenames)
    user.user_permissions.add(*permissions)
    return user


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser(username="root", password="x")


def _doctor_form(doctor: Doctor, **changes) -> dict:
    data = {
        "department": doctor.department_id,
        "name": doctor.name,
        "title": doctor.title,
        "fee": fen_to_yuan(doctor.fee),  # staff type yuan
        "specialty": doctor.specialty,
        "introduction": doctor.introduction,
        "photo_url": doctor.photo_url,
        "user": "",
        "is_active": "on" if doctor.is_active else "",
        "_save": "Save",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


# -- scoping -----------------------------------------------------------------------------


def test_staff_see_only_their_hospitals_doctors(client):
    # given
    a, b = HospitalFactory(), HospitalFactory()
    own = DoctorFactory.create_batch(2, hospital=a)
    DoctorFactory(hospital=b)
    client.force_login(_staff(a))

    # when
    response = client.get(reverse("admin:hospitals_doctor_changelist"))

    # then
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == own


def test_staff_cannot_open_another_hospitals_doctor(client):
    # given
    a, b = HospitalFactory(), HospitalFactory()
    theirs = DoctorFactory(hospital=b)
    client.force_login(_staff(a))

    # when
    response = client.get(reverse("admin:hospitals_doctor_change", args=[theirs.pk]))

    # then: the admin answers as for a missing object
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_staff_cannot_change_another_hospitals_doctor(client):
    # given
    a, b = HospitalFactory(), HospitalFactory()
    theirs = DoctorFactory(hospital=b, fee=2000)
    client.force_login(_staff(a))

    # when
    response = client.post(
        reverse("admin:hospitals_doctor_change", args=[theirs.pk]),
        _doctor_form(theirs, fee="1"),
    )

    # then
    assert response.status_code == 302
    assert Doctor.objects.get(pk=theirs.pk).fee == 2000
    assert OperationLog.objects.exists() is False


def test_staff_cannot_delete_another_hospitals_doctor(client):
    # given
    a, b = HospitalFactory(), HospitalFactory()
    theirs = DoctorFactory(hospital=b)
    client.force_login(_staff(a))

    # when
    response = client.post(
        reverse("admin:hospitals_doctor_delete", args=[theirs.pk]), {"post": "yes"}
    )

    # then
    assert response.status_code == 302
    assert Doctor.objects.filter(pk=theirs.pk).exists() is True
    assert OperationLog.objects.exists() is False


def test_staff_adding_a_doctor_get_their_own_hospital_whatever_they_post(client):
    # given
    a, b = HospitalFactory(), HospitalFactory()
    department = DepartmentFactory(hospital=a)
    staff = _staff(a)
    client.force_login(staff)

    # when
    response = client.post(
        reverse("admin:hospitals_doctor_add"),
        {
            "hospital": b.pk,
            "department": department.pk,
            "name": "张三",
            "title": "chief",
            "fee": "50",
            "is_active": "on",
            "_save": "Save",
        },
    )

    # then
    assert response.status_code == 302
    doctor = Doctor.objects.get()
    assert (doctor.hospital, doctor.department, doctor.fee) == (a, department, 5000)
    log = OperationLog.objects.get()
    assert (log.action, log.object_id, log.actor) == (
        "doctor.create",
        str(doctor.pk),
        staff,
    )


def test_staff_cannot_put_a_doctor_in_another_hospitals_department(client):
    # given
    a, b = HospitalFactory(), HospitalFactory()
    DepartmentFactory(hospital=a)
    elsewhere = DepartmentFactory(hospital=b)
    client.force_login(_staff(a))

    # when
    response = client.post(
        reverse("admin:hospitals_doctor_add"),
        {
            "department": elsewhere.pk,
            "name": "张三",
            "title": "chief",
            "fee": "50",
            "_save": "Save",
        },
    )

    # then: the choice is not offered, so the form refuses it
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["department"]
    assert Doctor.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_staff_change_form_shows_the_hospital_read_only(client):
    # given
    a = HospitalFactory()
    doctor = DoctorFactory(hospital=a)
    client.force_login(_staff(a))

    # when
    response = client.get(reverse("admin:hospitals_doctor_change", args=[doctor.pk]))

    # then
    assert response.status_code == 200
    assert "hospital" not in response.context["adminform"].form.fields


def test_staff_department_parent_choices_are_their_top_level_departments(client):
    # given
    a, b = HospitalFactory(), HospitalFactory()
    medicine = DepartmentFactory(hospital=a, name="内科")
    DepartmentFactory(parent=medicine, name="心内科")
    DepartmentFactory(hospital=b, name="别家内科")
    client.force_login(_staff(a))

    # when
    response = client.get(reverse("admin:hospitals_department_add"))

    # then
    parent_field = response.context["adminform"].form.fields["parent"]
    assert list(parent_field.queryset) == [medicine]


def test_staff_add_a_clinic_in_their_hospital(client):
    # given
    a = HospitalFactory()
    medicine = DepartmentFactory(hospital=a, name="内科")
    client.force_login(_staff(a))

    # when
    response = client.post(
        reverse("admin:hospitals_department_add"),
        {
            "parent": medicine.pk,
            "name": "心内科",
            "sort_order": "1",
            "is_active": "on",
            "_save": "Save",
        },
    )

    # then
    assert response.status_code == 302
    clinic = Department.objects.get(name="心内科")
    assert (clinic.hospital, clinic.parent) == (a, medicine)
    assert OperationLog.objects.get().action == "department.create"


def test_staff_cannot_add_or_delete_hospitals(client):
    # given
    a = HospitalFactory()
    client.force_login(_staff(a))

    # when
    add = client.get(reverse("admin:hospitals_hospital_add"))
    delete = client.post(
        reverse("admin:hospitals_hospital_delete", args=[a.pk]), {"post": "yes"}
    )

    # then
    assert add.status_code == 403
    assert delete.status_code == 403
    assert Hospital.objects.filter(pk=a.pk).exists() is True


def test_staff_see_only_their_own_hospital(client):
    # given
    a = HospitalFactory()
    HospitalFactory()
    client.force_login(_staff(a))

    # when
    response = client.get(reverse("admin:hospitals_hospital_changelist"))

    # then
    assert list(response.context["cl"].result_list) == [a]


def test_staff_without_a_hospital_see_nothing_and_cannot_add(client):
    # given
    DoctorFactory()
    user = User.objects.create_user(username="odd", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="hospitals")
    )
    client.force_login(user)

    # when
    changelist = client.get(reverse("admin:hospitals_doctor_changelist"))
    add = client.get(reverse("admin:hospitals_doctor_add"))

    # then
    assert list(changelist.context["cl"].result_list) == []
    assert add.status_code == 403


# -- saving through the services ---------------------------------------------------------


def test_admin_rename_of_a_hospital_logs_and_shows_in_the_api_at_once(
    client, superuser, api_client, django_capture_on_commit_callbacks
):
    # given
    hospital = HospitalFactory(name="旧名医院")
    detail_url = reverse("api:hospitals:detail", kwargs={"hospital_id": hospital.pk})
    assert api_client.get(detail_url).json()["name"] == "旧名医院"
    client.force_login(superuser)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:hospitals_hospital_change", args=[hospital.pk]),
            {
                "name": "新名医院",
                "level": hospital.level,
                "region": hospital.region,
                "address": hospital.address,
                "phone": hospital.phone,
                "is_open": "on",
                "_save": "Save",
            },
        )

    # then
    assert response.status_code == 302
    assert Hospital.objects.get().name == "新名医院"
    log = OperationLog.objects.get()
    assert (log.action, log.summary, log.actor) == (
        "hospital.update",
        "新名医院: name",
        superuser,
    )
    assert api_client.get(detail_url).json()["name"] == "新名医院"


def test_staff_fee_change_goes_through_the_service(
    client, api_client, django_capture_on_commit_callbacks
):
    # given
    doctor = DoctorFactory(fee=2000)
    doctor_url = reverse("api:hospitals:doctor-detail", kwargs={"doctor_id": doctor.pk})
    assert api_client.get(doctor_url).json()["fee"] == 2000
    client.force_login(_staff(doctor.hospital))

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:hospitals_doctor_change", args=[doctor.pk]),
            _doctor_form(doctor, fee="35"),
        )

    # then
    assert response.status_code == 302
    assert Doctor.objects.get().fee == 3500
    assert OperationLog.objects.get().action == "doctor.update"
    assert api_client.get(doctor_url).json()["fee"] == 3500


def test_superuser_adding_a_doctor_in_another_hospitals_department_sees_a_form_error(
    client, superuser
):
    # given
    department = DepartmentFactory()
    other = HospitalFactory()
    client.force_login(superuser)

    # when
    response = client.post(
        reverse("admin:hospitals_doctor_add"),
        {
            "hospital": other.pk,
            "department": department.pk,
            "name": "张三",
            "title": "chief",
            "fee": "50",
            "_save": "Save",
        },
    )

    # then
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["department"]
    assert Doctor.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_superuser_adding_a_third_level_department_sees_a_form_error(client, superuser):
    # given
    clinic = DepartmentFactory(parent=DepartmentFactory())
    client.force_login(superuser)

    # when
    response = client.post(
        reverse("admin:hospitals_department_add"),
        {
            "hospital": clinic.hospital_id,
            "parent": clinic.pk,
            "name": "三级",
            "sort_order": "0",
            "_save": "Save",
        },
    )

    # then: the third level is not even offered as a parent
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["parent"]
    assert Department.objects.count() == 2


def test_superuser_department_parent_in_another_hospital_is_a_form_error(
    client, superuser
):
    # given
    parent = DepartmentFactory()
    other = HospitalFactory()
    client.force_login(superuser)

    # when
    response = client.post(
        reverse("admin:hospitals_department_add"),
        {
            "hospital": other.pk,
            "parent": parent.pk,
            "name": "心内科",
            "sort_order": "0",
            "_save": "Save",
        },
    )

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [
        "The parent department must belong to the same hospital."
    ]
    assert Department.objects.count() == 1


def test_superuser_adds_a_hospital_through_the_service(client, superuser):
    # given
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
    hospital = Hospital.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:hospitals_hospital_changelist")
    assert OperationLog.objects.get().object_id == str(hospital.pk)


def test_admin_delete_goes_through_the_service(client, superuser):
    # given
    doctor = DoctorFactory()
    doctor_id = doctor.pk
    client.force_login(superuser)

    # when
    response = client.post(
        reverse("admin:hospitals_doctor_delete", args=[doctor.pk]), {"post": "yes"}
    )

    # then
    assert response.status_code == 302
    assert Doctor.objects.exists() is False
    log = OperationLog.objects.get()
    assert (log.action, log.object_id) == ("doctor.delete", str(doctor_id))


def test_admin_bulk_delete_goes_through_the_service(client, superuser):
    # given
    doctors = DoctorFactory.create_batch(2)
    client.force_login(superuser)

    # when
    response = client.post(
        reverse("admin:hospitals_doctor_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [d.pk for d in doctors],
            "post": "yes",
        },
    )

    # then
    assert response.status_code == 302
    assert Doctor.objects.exists() is False
    assert sorted(OperationLog.objects.values_list("object_id", flat=True)) == sorted(
        str(d.pk) for d in doctors
    )


def test_doctor_changelist_shows_the_fee_in_yuan(client, superuser):
    # given
    DoctorFactory(fee=5005)
    client.force_login(superuser)

    # when
    response = client.get(reverse("admin:hospitals_doctor_changelist"))

    # then
    assert response.status_code == 200
    assert '<td class="field-fee_display">¥50.05</td>' in response.content.decode()


def _changelist_queries(client, doctors: int) -> int:
    Doctor.objects.all().delete()
    DoctorFactory.create_batch(doctors)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:hospitals_doctor_changelist"))
    assert response.status_code == 200
    return len(queries)


def test_doctor_changelist_runs_the_same_queries_for_1_or_30_doctors(client, superuser):
    # given
    client.force_login(superuser)
    client.get(reverse("admin:hospitals_doctor_changelist"))  # warm the session

    # when
    one, thirty = _changelist_queries(client, 1), _changelist_queries(client, 30)

    # then: list_select_related joins hospital and department
    assert one == thirty

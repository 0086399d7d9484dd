import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import translation

from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from hospitals.cache import catalog_version
from hospitals.models import Department, Doctor, Hospital
from hospitals.services import (
    department_create,
    department_delete,
    department_update,
    doctor_create,
    doctor_delete,
    doctor_update,
    hospital_create,
    hospital_delete,
    hospital_update,
)
from tests.hospitals.factories import DepartmentFactory, DoctorFactory, HospitalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted word for word; the default language is Chinese.
    with translation.override("en"):
        yield


@pytest.fixture
def actor() -> Actor:
    user = get_user_model().objects.create_user(username="platform", is_staff=True)
    return Actor(user=user, ip="10.0.0.8")


def _logs() -> list[tuple]:
    return list(
        OperationLog.objects.order_by("id").values_list(
            "action", "object_type", "object_id", "summary"
        )
    )


# -- hospitals ---------------------------------------------------------------------------


def test_hospital_create_saves_logs_and_bumps_the_catalog_version(
    actor, django_capture_on_commit_callbacks
):
    # given
    version_before = catalog_version()

    # when
    with django_capture_on_commit_callbacks(execute=True):
        hospital = hospital_create(
            actor=actor,
            name="仁和医院",
            level=Hospital.Level.GRADE_3A,
            region="北京市朝阳区",
            address="朝阳路1号",
            phone="010-12345678",
        )

    # then
    hospital.refresh_from_db()
    assert hospital.name == "仁和医院"
    assert hospital.is_open is True
    log = OperationLog.objects.get()
    assert (log.action, log.object_type, log.object_id, log.summary) == (
        "hospital.create",
        "hospitals.hospital",
        str(hospital.pk),
        "仁和医院",
    )
    assert (log.actor, log.ip) == (actor.user, "10.0.0.8")
    assert catalog_version() > version_before


def test_hospital_create_bumps_the_version_only_after_commit(
    actor, django_capture_on_commit_callbacks
):
    # given
    version_before = catalog_version()

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        hospital_create(
            actor=actor,
            name="仁和医院",
            level="3A",
            region="北京市",
            address="朝阳路1号",
            phone="010-1",
        )

    # then
    assert catalog_version() == version_before
    assert len(callbacks) == 1


def test_hospital_create_with_an_unknown_level_is_refused_and_writes_nothing(actor):
    with pytest.raises(ValidationError) as excinfo:
        hospital_create(
            actor=actor,
            name="仁和医院",
            level="xyz",
            region="北京市",
            address="朝阳路1号",
            phone="010-1",
        )

    assert list(excinfo.value.message_dict) == ["level"]
    assert Hospital.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_hospital_create_with_a_taken_name_is_refused(actor):
    HospitalFactory(name="仁和医院")

    with pytest.raises(ValidationError) as excinfo:
        hospital_create(
            actor=actor,
            name="仁和医院",
            level="3A",
            region="北京市",
            address="朝阳路1号",
            phone="010-1",
        )

    assert list(excinfo.value.message_dict) == ["name"]
    assert Hospital.objects.count() == 1
    assert OperationLog.objects.exists() is False


def test_hospital_update_saves_only_changed_fields_and_logs_them(actor):
    # given
    hospital = HospitalFactory(name="旧名", phone="010-1")

    # when
    hospital_update(
        actor=actor,
        hospital=hospital,
        data={"name": "新名", "phone": "010-1", "is_open": False},
    )

    # then
    hospital.refresh_from_db()
    assert (hospital.name, hospital.phone, hospital.is_open) == ("新名", "010-1", False)
    assert _logs() == [
        (
            "hospital.update",
            "hospitals.hospital",
            str(hospital.pk),
            "新名: name, is_open",
        )
    ]


def test_hospital_update_without_a_change_writes_nothing(
    actor, django_capture_on_commit_callbacks
):
    # given
    hospital = HospitalFactory(name="仁和医院")
    updated_at = hospital.updated_at

    # when
    with django_capture_on_commit_callbacks() as callbacks:
        hospital_update(actor=actor, hospital=hospital, data={"name": "仁和医院"})

    # then
    hospital.refresh_from_db()
    assert hospital.updated_at == updated_at
    assert OperationLog.objects.exists() is False
    assert callbacks == []


def test_hospital_update_refuses_fields_outside_the_allowed_set(actor):
    hospital = HospitalFactory()

    with pytest.raises(ValueError, match="cannot update created_at"):
        hospital_update(actor=actor, hospital=hospital, data={"created_at": None})

    assert OperationLog.objects.exists() is False


def test_hospital_update_with_an_empty_name_is_refused_and_changes_nothing(actor):
    hospital = HospitalFactory(name="仁和医院")

    with pytest.raises(ValidationError) as excinfo:
        hospital_update(actor=actor, hospital=hospital, data={"name": ""})

    assert list(excinfo.value.message_dict) == ["name"]
    assert Hospital.objects.get().name == "仁和医院"
    assert OperationLog.objects.exists() is False


def test_hospital_delete_of_an_empty_hospital_logs_and_deletes(actor):
    hospital = HospitalFactory(name="空医院")
    hospital_id = hospital.pk

    hospital_delete(actor=actor, hospital=hospital)

    assert Hospital.objects.exists() is False
    assert _logs() == [
        ("hospital.delete", "hospitals.hospital", str(hospital_id), "空医院")
    ]


def test_hospital_delete_with_departments_is_refused_and_changes_nothing(actor):
    department = DepartmentFactory()

    with pytest.raises(Conflict) as excinfo:
        hospital_delete(actor=actor, hospital=department.hospital)

    assert excinfo.value.code == "hospital_in_use"
    assert Hospital.objects.count() == 1
    assert OperationLog.objects.exists() is False


# -- departments -------------------------------------------------------------------------


def test_department_create_under_a_top_level_department(actor):
    # given
    parent = DepartmentFactory(name="内科")

    # when
    clinic = department_create(
        actor=actor, hospital=parent.hospital, parent=parent, name="心内科"
    )

    # then
    clinic.refresh_from_db()
    assert (clinic.parent, clinic.hospital, clinic.name) == (
        parent,
        parent.hospital,
        "心内科",
    )
    assert _logs() == [
        (
            "department.create",
            "hospitals.department",
            str(clinic.pk),
            f"{parent.hospital.name} / 心内科",
        )
    ]


def test_department_parent_from_another_hospital_is_refused(actor):
    # given
    parent = DepartmentFactory()
    other_hospital = HospitalFactory()

    # when
    with pytest.raises(ValidationError) as excinfo:
        department_create(
            actor=actor, hospital=other_hospital, parent=parent, name="心内科"
        )

    # then
    assert excinfo.value.message_dict == {
        "parent": ["The parent department must belong to the same hospital."]
    }
    assert Department.objects.count() == 1
    assert OperationLog.objects.exists() is False


def test_a_third_level_department_is_refused(actor):
    # given
    clinic = DepartmentFactory(parent=DepartmentFactory())

    # when
    with pytest.raises(ValidationError) as excinfo:
        department_create(
            actor=actor, hospital=clinic.hospital, parent=clinic, name="三级科室"
        )

    # then
    assert excinfo.value.message_dict == {
        "parent": [
            "The parent must be a top-level department: departments have two levels only."
        ]
    }
    assert Department.objects.count() == 2
    assert OperationLog.objects.exists() is False


def test_a_department_with_clinics_cannot_move_under_another(actor):
    # given
    medicine = DepartmentFactory(name="内科")
    DepartmentFactory(parent=medicine)
    surgery = DepartmentFactory(hospital=medicine.hospital, name="外科")

    # when
    with pytest.raises(ValidationError) as excinfo:
        department_update(actor=actor, department=medicine, data={"parent": surgery})

    # then
    assert excinfo.value.message_dict == {
        "parent": ["This department has sub-departments, so it must stay top-level."]
    }
    assert Department.objects.get(pk=medicine.pk).parent_id is None
    assert OperationLog.objects.exists() is False


def test_a_department_cannot_be_its_own_parent(actor):
    department = DepartmentFactory()

    with pytest.raises(ValidationError) as excinfo:
        department_update(
            actor=actor, department=department, data={"parent": department}
        )

    assert list(excinfo.value.message_dict) == ["parent"]
    assert Department.objects.get().parent_id is None


def test_two_top_level_departments_with_one_name_are_refused(actor):
    existing = DepartmentFactory(name="内科")

    with pytest.raises(ValidationError) as excinfo:
        department_create(actor=actor, hospital=existing.hospital, name="内科")

    assert list(excinfo.value.message_dict) == ["name"]
    assert Department.objects.count() == 1


def test_two_clinics_with_one_name_under_one_parent_are_refused(actor):
    clinic = DepartmentFactory(parent=DepartmentFactory(), name="心内科")

    with pytest.raises(ValidationError):
        department_create(
            actor=actor, hospital=clinic.hospital, parent=clinic.parent, name="心内科"
        )

    assert Department.objects.count() == 2


def test_the_same_department_name_in_two_hospitals_is_fine(actor):
    DepartmentFactory(name="内科")

    department_create(actor=actor, hospital=HospitalFactory(), name="内科")

    assert Department.objects.filter(name="内科").count() == 2


def test_department_update_logs_the_changed_fields(actor):
    department = DepartmentFactory(name="内科", sort_order=1)

    department_update(
        actor=actor, department=department, data={"sort_order": 5, "is_active": False}
    )

    department.refresh_from_db()
    assert (department.sort_order, department.is_active) == (5, False)
    assert _logs() == [
        (
            "department.update",
            "hospitals.department",
            str(department.pk),
            "内科: sort_order, is_active",
        )
    ]


def test_department_hospital_cannot_be_changed(actor):
    department = DepartmentFactory()

    with pytest.raises(ValueError, match="cannot update hospital"):
        department_update(
            actor=actor, department=department, data={"hospital": HospitalFactory()}
        )


def test_department_delete_with_doctors_is_refused_and_changes_nothing(actor):
    doctor = DoctorFactory()

    with pytest.raises(Conflict) as excinfo:
        department_delete(actor=actor, department=doctor.department)

    assert excinfo.value.code == "department_in_use"
    assert Department.objects.count() == 1
    assert OperationLog.objects.exists() is False


def test_department_delete_of_an_empty_department(actor):
    department = DepartmentFactory()

    department_delete(actor=actor, department=department)

    assert Department.objects.exists() is False
    assert [log[0] for log in _logs()] == ["department.delete"]


# -- doctors -----------------------------------------------------------------------------


def test_doctor_create_saves_fee_in_fen_and_logs(actor):
    # given
    department = DepartmentFactory(name="骨科")

    # when
    doctor = doctor_create(
        actor=actor,
        hospital=department.hospital,
        department=department,
        name="张三",
        title=Doctor.Title.CHIEF,
        fee=5000,
    )

    # then
    doctor.refresh_from_db()
    assert (doctor.name, doctor.fee, doctor.title) == ("张三", 5000, "chief")
    assert _logs() == [
        (
            "doctor.create",
            "hospitals.doctor",
            str(doctor.pk),
            f"{department.hospital.name} / 骨科 / 张三",
        )
    ]


def test_doctor_in_a_department_of_another_hospital_is_refused(actor):
    # given
    department = DepartmentFactory()

    # when
    with pytest.raises(ValidationError) as excinfo:
        doctor_create(
            actor=actor,
            hospital=HospitalFactory(),
            department=department,
            name="张三",
            title=Doctor.Title.CHIEF,
            fee=5000,
        )

    # then
    assert excinfo.value.message_dict == {
        "department": ["The department must belong to the doctor's hospital."]
    }
    assert Doctor.objects.exists() is False
    assert OperationLog.objects.exists() is False


@pytest.mark.parametrize(
    ("fee", "message"),
    [
        (-1, "Ensure this value is greater than or equal to 0."),
        (50.5, "The fee must be a whole number of fen."),
        ("5000", "The fee must be a whole number of fen."),
        (10_000_001, "Constraint “doctor_fee_reasonable” is violated."),
    ],
)
def test_doctor_fee_must_be_whole_fen_from_zero(actor, fee, message):
    department = DepartmentFactory()

    with pytest.raises(ValidationError) as excinfo:
        doctor_create(
            actor=actor,
            hospital=department.hospital,
            department=department,
            name="张三",
            title=Doctor.Title.CHIEF,
            fee=fee,
        )

    assert excinfo.value.messages == [message]
    assert Doctor.objects.exists() is False
    assert OperationLog.objects.exists() is False


def test_a_free_doctor_is_fine(actor):
    department = DepartmentFactory()

    doctor = doctor_create(
        actor=actor,
        hospital=department.hospital,
        department=department,
        name="义诊",
        title=Doctor.Title.RESIDENT,
        fee=0,
    )

    assert Doctor.objects.get(pk=doctor.pk).fee == 0


def test_doctor_update_to_a_department_of_another_hospital_is_refused(actor):
    doctor = DoctorFactory()
    other = DepartmentFactory()

    with pytest.raises(ValidationError) as excinfo:
        doctor_update(actor=actor, doctor=doctor, data={"department": other})

    assert list(excinfo.value.message_dict) == ["department"]
    assert Doctor.objects.get().department_id != other.pk
    assert OperationLog.objects.exists() is False


def test_doctor_update_moves_within_the_hospital_and_logs(actor):
    doctor = DoctorFactory(name="张三")
    clinic = DepartmentFactory(hospital=doctor.hospital)

    doctor_update(actor=actor, doctor=doctor, data={"department": clinic, "fee": 3000})

    doctor.refresh_from_db()
    assert (doctor.department, doctor.fee) == (clinic, 3000)
    assert _logs() == [
        (
            "doctor.update",
            "hospitals.doctor",
            str(doctor.pk),
            f"{clinic.name} · 张三 (主治医师): department, fee",
        )
    ]


def test_doctor_user_account_must_be_a_doctor_of_the_same_hospital(actor):
    # given
    doctor = DoctorFactory()
    User = get_user_model()
    patient = User.objects.create_user(username="patient")
    other_doctor = User.objects.create_user(
        username="elsewhere", role=User.Role.DOCTOR, hospital=HospitalFactory()
    )

    # when / then
    for user in (patient, other_doctor):
        with pytest.raises(ValidationError) as excinfo:
            doctor_update(actor=actor, doctor=doctor, data={"user": user})
        assert list(excinfo.value.message_dict) == ["user"]
    assert Doctor.objects.get().user_id is None
    assert OperationLog.objects.exists() is False


def test_doctor_user_account_of_the_same_hospital_is_linked(actor):
    doctor = DoctorFactory()
    User = get_user_model()
    account = User.objects.create_user(
        username="dr", role=User.Role.DOCTOR, hospital=doctor.hospital
    )

    doctor_update(actor=actor, doctor=doctor, data={"user": account})

    assert Doctor.objects.get().user == account


def test_doctor_delete_logs_and_deletes(actor):
    doctor = DoctorFactory(name="张三")
    doctor_id = doctor.pk

    doctor_delete(actor=actor, doctor=doctor)

    assert Doctor.objects.exists() is False
    assert _logs() == [("doctor.delete", "hospitals.doctor", str(doctor_id), "张三")]

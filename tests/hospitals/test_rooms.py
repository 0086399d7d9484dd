"""Consulting rooms (诊室): their services and the admin as a hospital's staff use it."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from hospitals.models import ConsultingRoom, Doctor
from hospitals.rooms import (
    consulting_room_create,
    consulting_room_delete,
    consulting_room_update,
)
from hospitals.services import doctor_update
from tests.hospitals.factories import (
    ConsultingRoomFactory,
    DepartmentFactory,
    DoctorFactory,
    HospitalFactory,
)
from tests.scheduling.factories import ClinicSessionFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
ACTOR = Actor.system()


def _staff(hospital, role=User.Role.HOSPITAL_STAFF) -> User:
    return User.objects.create_user(
        username=f"{role}{hospital.pk}", role=role, hospital=hospital, is_staff=True
    )


# -- services ------------------------------------------------------------------------------


def test_a_room_takes_its_departments_hospital_and_is_logged():
    department = DepartmentFactory()

    room = consulting_room_create(
        actor=ACTOR, department=department, name="3诊室", floor="3F", building="门诊楼"
    )

    room.refresh_from_db()
    assert (room.hospital_id, str(room)) == (department.hospital_id, "门诊楼 3F 3诊室")
    assert OperationLog.objects.get(action="room.create").object_id == str(room.pk)


def test_a_room_name_is_unique_within_its_department():
    room = ConsultingRoomFactory(name="3诊室")

    with pytest.raises(ValidationError):
        consulting_room_create(
            actor=ACTOR, department=room.department, name="3诊室", floor="2F"
        )
    other = consulting_room_create(
        actor=ACTOR,
        department=DepartmentFactory(hospital=room.hospital),
        name="3诊室",
        floor="2F",
    )

    assert ConsultingRoom.objects.filter(name="3诊室").count() == 2
    assert other.hospital_id == room.hospital_id


def test_a_room_cannot_move_to_a_department_of_another_hospital():
    room = ConsultingRoomFactory()
    elsewhere = DepartmentFactory()

    with pytest.raises(ValidationError) as excinfo:
        consulting_room_update(actor=ACTOR, room=room, data={"department": elsewhere})

    assert set(excinfo.value.message_dict) == {"department"}
    assert ConsultingRoom.objects.get(pk=room.pk).department_id != elsewhere.pk
    assert OperationLog.objects.exists() is False


def test_a_room_moves_within_its_hospital_and_can_be_retired():
    room = ConsultingRoomFactory()
    sibling = DepartmentFactory(hospital=room.hospital)

    consulting_room_update(
        actor=ACTOR, room=room, data={"department": sibling, "is_active": False}
    )

    room.refresh_from_db()
    assert (room.department_id, room.is_active) == (sibling.pk, False)
    assert OperationLog.objects.filter(action="room.update").count() == 1


def test_a_room_used_by_a_session_cannot_be_deleted(settings):
    room = ConsultingRoomFactory()
    ClinicSessionFactory(doctor=DoctorFactory(department=room.department), room=room)
    unused = ConsultingRoomFactory()

    with pytest.raises(Conflict) as excinfo:
        consulting_room_delete(actor=ACTOR, room=room)
    consulting_room_delete(actor=ACTOR, room=unused)

    assert excinfo.value.code == "room_in_use"
    assert list(ConsultingRoom.objects.values_list("pk", flat=True)) == [room.pk]


@pytest.mark.parametrize(
    ("cap", "ok"), [(None, True), (1, True), (500, True), (0, False), (501, False)]
)
def test_a_doctors_daily_cap_is_empty_or_between_1_and_500(cap, ok):
    doctor = DoctorFactory()

    if ok:
        doctor_update(actor=ACTOR, doctor=doctor, data={"max_patients_per_day": cap})
    else:
        with pytest.raises(ValidationError) as excinfo:
            doctor_update(
                actor=ACTOR, doctor=doctor, data={"max_patients_per_day": cap}
            )
        assert set(excinfo.value.message_dict) == {"max_patients_per_day"}

    assert Doctor.objects.get(pk=doctor.pk).max_patients_per_day == (
        cap if ok else None
    )


# -- admin ---------------------------------------------------------------------------------


def test_staff_add_a_room_to_their_department_and_see_only_their_rooms(client):
    # given
    department = DepartmentFactory()
    other = ConsultingRoomFactory()  # another hospital's room
    client.force_login(_staff(department.hospital))

    # when
    added = client.post(
        reverse("admin:hospitals_consultingroom_add"),
        {
            "department": department.pk,
            "name": "东区5诊室",
            "floor": "2F",
            "building": "",
            "is_active": "on",
            "_save": "Save",
        },
    )
    listing = client.get(reverse("admin:hospitals_consultingroom_changelist"))

    # then
    assert added.status_code == 302
    room = ConsultingRoom.objects.get(name="东区5诊室")
    assert room.hospital_id == department.hospital_id
    assert list(listing.context["cl"].queryset) == [room]
    assert other not in listing.context["cl"].queryset
    assert OperationLog.objects.filter(action="room.create").count() == 1


def test_staff_cannot_add_a_room_to_another_hospitals_department(client):
    department = DepartmentFactory()
    client.force_login(_staff(HospitalFactory()))

    response = client.post(
        reverse("admin:hospitals_consultingroom_add"),
        {"department": department.pk, "name": "5诊室", "floor": "2F", "_save": "Save"},
    )

    assert response.status_code == 200
    assert "department" in response.context["adminform"].form.errors
    assert ConsultingRoom.objects.exists() is False


def test_staff_set_a_doctors_daily_cap_in_the_doctor_form(client):
    doctor = DoctorFactory(fee=2000)
    client.force_login(_staff(doctor.hospital))

    response = client.post(
        reverse("admin:hospitals_doctor_change", args=[doctor.pk]),
        {
            "department": doctor.department_id,
            "name": doctor.name,
            "title": doctor.title,
            "fee": "20",
            "max_patients_per_day": "40",
            "is_active": "on",
            "_save": "Save",
        },
    )

    assert response.status_code == 302
    assert Doctor.objects.get(pk=doctor.pk).max_patients_per_day == 40

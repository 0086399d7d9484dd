"""The waiting-room screen: who may open it, and what it shows (masked names only)."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from appointments.models import Appointment
from appointments.screen import screen_signature
from tests.accounts.factories import PatientProfileFactory, StaffFactory, UserFactory
from tests.appointments.floor_helpers import floor_session, on_floor

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

S = Appointment.Status


def _data_url(department_id: int, signature: str) -> str:
    return reverse(
        "screen:department-data",
        kwargs={"department_id": department_id, "signature": signature},
    )


def test_the_screen_data_shows_calling_next_and_skipped_with_masked_names():
    session = floor_session()
    on_floor(
        session,
        queue_no=2,
        status=S.CALLED,
        profile=PatientProfileFactory(name="王大锤"),
    )
    on_floor(session, queue_no=4, profile=PatientProfileFactory(name="李四"))
    on_floor(session, queue_no=3, profile=PatientProfileFactory(name="欧阳小明"))
    on_floor(
        session,
        queue_no=1,
        status=S.SKIPPED,
        profile=PatientProfileFactory(name="赵六六"),
    )
    on_floor(
        session, queue_no=5, status=S.BOOKED, profile=PatientProfileFactory(name="钱七")
    )
    department = session.doctor.department_id

    response = Client().get(_data_url(department, screen_signature(department)))

    assert response.status_code == 200
    [board] = response.json()["sessions"]
    assert board["calling"] == [{"queue_no": 2, "name": "王*锤", "call_count": 0}]
    assert [(p["queue_no"], p["name"]) for p in board["next"]] == [
        (3, "欧**明"),
        (4, "李*"),
    ]
    assert board["waiting_count"] == 2
    assert [p["name"] for p in board["skipped"]] == ["赵*六"]
    body = response.content.decode()
    for full in ("王大锤", "李四", "欧阳小明", "赵六六", "钱七"):
        assert full not in body


@pytest.mark.parametrize("name", ["department", "department-data"])
def test_a_wrong_or_other_departments_signature_is_404(name):
    session = floor_session()
    other = floor_session()
    department = session.doctor.department_id
    client = Client()

    forged = client.get(
        reverse(
            f"screen:{name}", kwargs={"department_id": department, "signature": "x"}
        )
    )
    borrowed = client.get(
        reverse(
            f"screen:{name}",
            kwargs={
                "department_id": department,
                "signature": screen_signature(other.doctor.department_id),
            },
        )
    )

    assert (forged.status_code, borrowed.status_code) == (404, 404)


def test_changing_the_link_version_revokes_the_links(settings):
    session = floor_session()
    department = session.doctor.department_id
    old = screen_signature(department)
    settings.SCREEN_LINK_VERSION = "2"

    response = Client().get(_data_url(department, old))

    assert response.status_code == 404


def test_staff_signed_in_to_the_admin_get_the_signed_link():
    session = floor_session()
    department = session.doctor.department_id
    client = Client()
    client.force_login(StaffFactory(hospital=session.hospital))

    response = client.get(
        reverse("screen:department-link", kwargs={"department_id": department})
    )
    page = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"].endswith(f"/{screen_signature(department)}/")
    assert page.status_code == 200
    assert "正在呼叫" in page.content.decode() or "Now calling" in page.content.decode()


def test_the_link_is_not_given_to_other_hospitals_or_to_patients():
    session = floor_session()
    url = reverse(
        "screen:department-link",
        kwargs={"department_id": session.doctor.department_id},
    )
    other = Client()
    other.force_login(StaffFactory())
    patient = Client()
    patient.force_login(UserFactory(role=User.Role.PATIENT))

    assert other.get(url).status_code == 404
    to_login = patient.get(url)
    assert to_login.status_code == 302
    assert reverse("admin:login") in to_login["Location"]

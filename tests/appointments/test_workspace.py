"""The doctor's workspace API: sessions, the queue, calling, 加号, stop requests."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.selectors import person_name_masked, profile_id_card_no
from appointments.models import Appointment, SessionStopRequest, WaitlistEntry
from scheduling.models import ClinicSession, Slot
from tests.accounts.factories import PatientProfileFactory, StaffFactory, UserFactory
from tests.appointments.floor_helpers import floor_session, on_floor
from tests.hospitals.factories import DoctorFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

S = Appointment.Status


def _doctor_user(**doctor_fields) -> User:
    doctor = DoctorFactory(**doctor_fields)
    user = UserFactory(role=User.Role.DOCTOR, hospital=doctor.hospital, is_staff=True)
    doctor.user = user
    doctor.save()
    return user


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _url(name: str, *args) -> str:
    return reverse(f"api:appointments:workspace-{name}", args=args)


# -- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张小伟", "张*伟"),
        ("欧阳小明", "欧**明"),
        ("张伟", "张*"),
        ("李", "*"),
        ("", ""),
    ],
)
def test_names_keep_the_first_and_last_character(name, masked):
    assert person_name_masked(name) == masked


# -- sessions ----------------------------------------------------------------------------


def test_a_doctor_sees_only_their_own_sessions_today():
    # given a doctor with a session today and one next week, and a colleague's session
    user = _doctor_user()
    mine = floor_session(doctor=user.doctor)
    floor_session(doctor=user.doctor, date=timezone.localdate() + datetime.timedelta(8))
    floor_session(doctor=DoctorFactory(hospital=user.hospital))

    response = _client(user).get(_url("sessions"))

    assert response.status_code == 200
    assert [s["id"] for s in response.json()] == [mine.pk]


def test_staff_see_their_hospitals_sessions_with_seats_and_waitlist():
    staff = StaffFactory()
    session = floor_session(doctor=DoctorFactory(hospital=staff.hospital))
    floor_session()  # another hospital's
    on_floor(session, queue_no=1)
    on_floor(session, queue_no=2, status=S.BOOKED)
    WaitlistEntry.objects.create(
        user=(p := PatientProfileFactory()).user, profile=p, session=session
    )

    response = _client(staff).get(_url("sessions"), {"range": "week"})

    assert response.status_code == 200
    [row] = response.json()
    assert row["id"] == session.pk
    assert row["seats_left"] == 28
    assert row["waitlist_count"] == 1
    assert row["waiting_count"] == 1


def test_patients_cannot_open_the_workspace():
    response = _client(PatientProfileFactory().user).get(_url("sessions"))

    assert response.status_code == 403


# -- the queue ---------------------------------------------------------------------------


def test_the_queue_shows_called_then_waiting_then_the_rest_with_masked_names():
    user = _doctor_user()
    session = floor_session(doctor=user.doctor)
    now = timezone.now()
    not_here = on_floor(session, queue_no=1, status=S.BOOKED)
    waiting = on_floor(
        session,
        queue_no=3,
        profile=PatientProfileFactory(name="张小伟"),
        checked_in_at=now - datetime.timedelta(minutes=12),
    )
    called = on_floor(session, queue_no=2, status=S.CALLED)

    response = _client(user).get(_url("queue", session.pk))

    assert response.status_code == 200
    queue = response.json()["queue"]
    assert [e["appointment_id"] for e in queue] == [called.pk, waiting.pk, not_here.pk]
    assert queue[1]["patient_name"] == "张*伟"
    assert queue[1]["waiting_minutes"] in (12, 13)
    assert queue[1]["is_checked_in"] is True
    assert queue[2]["is_checked_in"] is False
    assert response.json()["session"]["id"] == session.pk


def test_the_queue_reads_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    user = _doctor_user()
    session = floor_session(doctor=user.doctor)
    for n in range(1, 8):
        on_floor(session, queue_no=n)
    client = _client(user)

    with django_assert_max_num_queries(12):
        response = client.get(_url("queue", session.pk))

    assert len(response.json()["queue"]) == 7


def test_another_doctors_session_is_404_and_nothing_is_called():
    user = _doctor_user()
    colleague_session = floor_session(doctor=DoctorFactory(hospital=user.hospital))
    patient = on_floor(colleague_session, queue_no=1)
    client = _client(user)

    queue = client.get(_url("queue", colleague_session.pk))
    call = client.post(_url("call-next", colleague_session.pk))
    recall = client.post(_url("recall", patient.pk))

    assert (queue.status_code, call.status_code, recall.status_code) == (404, 404, 404)
    assert Appointment.objects.get(pk=patient.pk).status == S.CHECKED_IN


def test_another_hospitals_staff_get_404():
    session = floor_session()
    patient = on_floor(session, queue_no=1, status=S.CALLED)
    client = _client(StaffFactory())

    assert client.post(_url("call-next", session.pk)).status_code == 404
    assert client.post(_url("skip", patient.pk)).status_code == 404
    assert client.post(_url("seen", patient.pk)).status_code == 404
    assert Appointment.objects.get(pk=patient.pk).status == S.CALLED


def test_call_next_recall_skip_and_seen_over_the_api():
    # given two checked-in patients in the doctor's session
    user = _doctor_user()
    session = floor_session(doctor=user.doctor)
    one = on_floor(session, queue_no=1)
    two = on_floor(session, queue_no=2)
    client = _client(user)

    # when the doctor calls, calls again, skips 1, calls 2 and marks 2 seen
    first = client.post(_url("call-next", session.pk))
    again = client.post(_url("recall", one.pk))
    skipped = client.post(_url("skip", one.pk))
    second = client.post(_url("call-next", session.pk))
    seen = client.post(_url("seen", two.pk))
    empty = client.post(_url("call-next", session.pk))

    # then
    assert first.status_code == 200
    assert first.json()["queue"][0]["appointment_id"] == one.pk
    assert first.json()["queue"][0]["status"] == "called"
    assert again.json()["queue"][0]["call_count"] == 2
    assert skipped.status_code == 200
    assert second.json()["queue"][0]["appointment_id"] == two.pk
    assert seen.status_code == 200
    assert empty.status_code == 409
    assert empty.json()["error"]["code"] == "queue_empty"
    one, two = (Appointment.objects.get(pk=a.pk) for a in (one, two))
    assert (one.status, two.status) == (S.SKIPPED, S.COMPLETED)
    assert two.visit_started_at is not None
    assert two.visit_ended_at is not None


# -- 加号 for a walk-in ----------------------------------------------------------------


def _walk_in(client, session, profile, *, last4=None, paid=True):
    return client.post(
        _url("walk-in", session.pk),
        {
            "profile_id": profile.pk,
            "id_card_last4": last4 or profile_id_card_no(profile)[-4:],
            "paid_at_desk": paid,
        },
        format="json",
    )


def _late_session(**fields) -> ClinicSession:
    """A session today that runs until the end of the day (walk-ins need a slot ahead)."""
    session = floor_session(**fields)
    slot = session.slots.get()
    day_end = timezone.make_aware(
        datetime.datetime.combine(session.date, datetime.time(23, 59))
    )
    ClinicSession.objects.filter(pk=session.pk).update(end_time=datetime.time(23, 59))
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=min(slot.starts_at, timezone.now()), ends_at=day_end
    )
    return ClinicSession.objects.get(pk=session.pk)


def test_a_walk_in_adds_a_seat_and_is_booked_and_checked_in():
    staff = StaffFactory()
    session = _late_session(doctor=DoctorFactory(hospital=staff.hospital))
    slot = session.slots.get()
    capacity = slot.capacity
    profile = PatientProfileFactory()

    response = _walk_in(_client(staff), session, profile, paid=True)

    assert response.status_code == 201, response.json()
    appointment = Appointment.objects.get(profile=profile)
    assert appointment.status == S.CHECKED_IN
    assert appointment.walk_in is True
    assert appointment.fee == session.fee
    slot.refresh_from_db()
    assert (slot.capacity, slot.booked) == (capacity + 1, 1)


def test_a_free_walk_in_costs_nothing():
    user = _doctor_user()
    session = _late_session(doctor=user.doctor)
    profile = PatientProfileFactory()

    response = _walk_in(_client(user), session, profile, paid=False)

    assert response.status_code == 201
    assert Appointment.objects.get(profile=profile).fee == 0


def test_a_walk_in_with_the_wrong_id_digits_is_404_and_adds_nothing():
    staff = StaffFactory()
    session = _late_session(doctor=DoctorFactory(hospital=staff.hospital))
    profile = PatientProfileFactory()
    real = profile_id_card_no(profile)[-4:]
    wrong = "0000" if real != "0000" else "1111"

    response = _walk_in(_client(staff), session, profile, last4=wrong)

    assert response.status_code == 404
    assert session.slots.get().capacity == 30
    assert not Appointment.objects.filter(profile=profile).exists()


def test_a_walk_in_waits_for_the_waitlist():
    staff = StaffFactory()
    session = _late_session(doctor=DoctorFactory(hospital=staff.hospital))
    waiting = PatientProfileFactory()
    WaitlistEntry.objects.create(user=waiting.user, profile=waiting, session=session)

    response = _walk_in(_client(staff), session, PatientProfileFactory())

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "waitlist_not_empty"
    assert session.slots.get().capacity == 30


# -- stop and leave requests ---------------------------------------------------------------


def test_a_doctor_requests_a_stop_and_staff_approve_it_in_the_admin():
    # given a doctor's session with a checked-in patient
    user = _doctor_user()
    session = floor_session(doctor=user.doctor)
    patient = on_floor(session, queue_no=1)

    # when the doctor asks to stop it
    response = _client(user).post(
        _url("stop-request", session.pk),
        {"kind": "stop", "reason": "家中急事"},
        format="json",
    )
    again = _client(user).post(
        _url("stop-request", session.pk),
        {"kind": "leave", "reason": "再试"},
        format="json",
    )
    # and the hospital's staff approve it with the admin's action
    request = SessionStopRequest.objects.get()
    admin = Client()
    admin.force_login(StaffFactory(hospital=user.hospital))
    approved = admin.post(
        reverse("admin:appointments_sessionstoprequest_changelist"),
        {"action": "approve", "_selected_action": [request.pk]},
    )

    # then the session is stopped and the patient's appointment cancelled
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "stop_request_open"
    assert approved.status_code == 302
    request.refresh_from_db()
    assert request.status == SessionStopRequest.Status.APPROVED
    session.refresh_from_db()
    assert session.status == ClinicSession.Status.STOPPED
    assert "家中急事" in session.stop_reason
    assert Appointment.objects.get(pk=patient.pk).status == S.CANCELLED


def test_rejecting_a_request_leaves_the_session_open():
    user = _doctor_user()
    session = floor_session(doctor=user.doctor)
    _client(user).post(
        _url("stop-request", session.pk),
        {"kind": "leave", "reason": "培训"},
        format="json",
    )
    request = SessionStopRequest.objects.get()
    admin = Client()
    admin.force_login(StaffFactory(hospital=user.hospital))

    admin.post(
        reverse("admin:appointments_sessionstoprequest_changelist"),
        {"action": "reject", "_selected_action": [request.pk]},
    )

    request.refresh_from_db()
    assert request.status == SessionStopRequest.Status.REJECTED
    session.refresh_from_db()
    assert session.status == ClinicSession.Status.OPEN


def test_another_hospitals_staff_do_not_see_the_request():
    user = _doctor_user()
    session = floor_session(doctor=user.doctor)
    _client(user).post(
        _url("stop-request", session.pk),
        {"kind": "stop", "reason": "病假"},
        format="json",
    )
    request = SessionStopRequest.objects.get()
    admin = Client()
    admin.force_login(StaffFactory())

    admin.post(
        reverse("admin:appointments_sessionstoprequest_changelist"),
        {"action": "approve", "_selected_action": [request.pk]},
    )

    request.refresh_from_db()
    assert request.status == SessionStopRequest.Status.PENDING


def test_a_doctor_cannot_request_for_a_colleagues_session():
    user = _doctor_user()
    session = floor_session(doctor=DoctorFactory(hospital=user.hospital))

    response = _client(user).post(
        _url("stop-request", session.pk), {"kind": "stop", "reason": "x"}, format="json"
    )

    assert response.status_code == 404
    assert not SessionStopRequest.objects.exists()


def test_the_session_list_reads_in_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    staff = StaffFactory()
    for _ in range(4):
        session = floor_session(doctor=DoctorFactory(hospital=staff.hospital))
        on_floor(session, queue_no=1)
    client = _client(staff)

    with django_assert_max_num_queries(3):
        response = client.get(_url("sessions"))

    assert len(response.json()) == 4

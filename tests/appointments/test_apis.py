import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from appointments.models import Appointment, WaitlistEntry
from appointments.services import appointment_book
from common.models import IdempotencyKey
from common.services import Actor
from scheduling.models import ClinicSession
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import SlotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

BOOK = reverse("api:appointments:book")


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def profile():
    return PatientProfileFactory()


@pytest.fixture
def client(api_client, profile):
    api_client.force_authenticate(profile.user)
    return api_client


def booked(profile, slot=None):
    slot = slot or SlotFactory()
    return appointment_book(
        actor=Actor.system(), user=profile.user, profile=profile, slot=slot
    )


def test_book_answers_the_appointment(client, profile):
    slot = SlotFactory(session__fee=3000)

    response = client.post(
        BOOK, {"slot_id": slot.pk, "profile_id": profile.pk}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    appointment = Appointment.objects.get()
    assert body["id"] == appointment.pk
    assert body["status"] == "pending_payment"
    assert body["fee"] == 3000
    assert body["queue_no"] == 1
    assert body["profile"] == {"id": profile.pk, "name": profile.name}
    assert body["doctor"]["id"] == slot.session.doctor_id


def test_book_returns_the_error_shape_when_the_slot_is_full(client, profile):
    slot = SlotFactory(capacity=1, booked=1)

    response = client.post(
        BOOK, {"slot_id": slot.pk, "profile_id": profile.pk}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "slot_full",
            "message": "This time slot is fully booked.",
            "fields": {},
        }
    }
    assert Appointment.objects.exists() is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"profile_id": 1}, "slot_id"),
        ({"slot_id": "abc", "profile_id": 1}, "slot_id"),
        ({"slot_id": 0, "profile_id": 1}, "slot_id"),
        ({"slot_id": 1, "profile_id": [1]}, "profile_id"),
    ],
)
def test_book_rejects_malformed_ids(client, payload, field):
    response = client.post(BOOK, payload, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert Appointment.objects.exists() is False


def test_book_rejects_malformed_json(client):
    response = client.post(BOOK, data="{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_book_unknown_slot_and_someone_elses_profile_answer_404(client, profile):
    slot = SlotFactory()
    stranger = PatientProfileFactory()

    unknown_slot = client.post(
        BOOK, {"slot_id": 999999, "profile_id": profile.pk}, format="json"
    )
    foreign_profile = client.post(
        BOOK, {"slot_id": slot.pk, "profile_id": stranger.pk}, format="json"
    )

    assert (unknown_slot.status_code, unknown_slot.json()["error"]["code"]) == (
        404,
        "slot_not_found",
    )
    assert (foreign_profile.status_code, foreign_profile.json()["error"]["code"]) == (
        404,
        "profile_not_found",
    )
    assert Appointment.objects.exists() is False


def test_book_a_stopped_session_answers_409(client, profile):
    slot = SlotFactory(session__status=ClinicSession.Status.STOPPED)

    response = client.post(
        BOOK, {"slot_id": slot.pk, "profile_id": profile.pk}, format="json"
    )

    assert (response.status_code, response.json()["error"]["code"]) == (
        409,
        "session_stopped",
    )


def test_book_needs_a_login(api_client):
    response = api_client.post(BOOK, {"slot_id": 1, "profile_id": 1}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_same_idempotency_key_replays_and_a_different_body_answers_422(
    client, profile
):
    slot = SlotFactory()
    other = SlotFactory()
    body = {"slot_id": slot.pk, "profile_id": profile.pk}

    first = client.post(BOOK, body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    again = client.post(BOOK, body, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    changed = client.post(
        BOOK,
        {"slot_id": other.pk, "profile_id": profile.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="abc",
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert (changed.status_code, changed.json()["error"]["code"]) == (
        422,
        "idempotency_key_reused",
    )
    assert Appointment.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


def test_a_refused_request_stores_no_idempotency_key(client, profile):
    slot = SlotFactory(capacity=1, booked=1)

    response = client.post(
        BOOK,
        {"slot_id": slot.pk, "profile_id": profile.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert response.status_code == 409
    assert IdempotencyKey.objects.exists() is False


def test_an_oversized_idempotency_key_is_refused(client, profile):
    slot = SlotFactory()

    response = client.post(
        BOOK,
        {"slot_id": slot.pk, "profile_id": profile.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k" * 129,
    )

    assert (response.status_code, response.json()["error"]["code"]) == (
        400,
        "invalid_idempotency_key",
    )
    assert Appointment.objects.exists() is False


def test_my_appointments_filter_by_status_in_a_fixed_number_of_queries(
    client, profile, django_assert_max_num_queries
):
    for days in (2, 3, 4):
        booked(profile, SlotFactory(session__fee=0, session__date=in_days(days)))
    booked(profile, SlotFactory(session__fee=500, session__date=in_days(5)))
    booked(PatientProfileFactory())  # someone else's

    with django_assert_max_num_queries(3):
        everything = client.get(reverse("api:appointments:list"))
    with django_assert_max_num_queries(3):
        only_booked = client.get(reverse("api:appointments:list"), {"status": "booked"})
    bad = client.get(reverse("api:appointments:list"), {"status": "nonsense"})

    assert everything.json()["count"] == 4
    assert only_booked.json()["count"] == 3
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid")


def test_my_appointments_are_paged_with_page_and_page_size(client, profile):
    for days in (2, 3, 4):
        booked(profile, SlotFactory(session__fee=0, session__date=in_days(days)))
    url = reverse("api:appointments:list")

    first = client.get(url, {"status": "booked", "page": 1, "page_size": 2})
    second = client.get(url, {"page": 2, "page_size": 2})

    assert first.status_code == 200, first.content
    assert (first.json()["count"], len(first.json()["results"])) == (3, 2)
    assert first.json()["next"] is not None
    assert second.status_code == 200, second.content
    assert (len(second.json()["results"]), second.json()["next"]) == (1, None)
    ids = [a["id"] for a in first.json()["results"] + second.json()["results"]]
    assert len(set(ids)) == 3


def test_someone_elses_appointment_answers_404_everywhere(client):
    theirs = booked(PatientProfileFactory())

    detail = client.get(reverse("api:appointments:detail", args=[theirs.pk]))
    cancel = client.post(
        reverse("api:appointments:cancel", args=[theirs.pk]), {}, format="json"
    )
    check_in = client.post(
        reverse("api:appointments:check-in", args=[theirs.pk]), {}, format="json"
    )

    assert [r.status_code for r in (detail, cancel, check_in)] == [404, 404, 404]
    assert detail.json()["error"]["code"] == "appointment_not_found"
    theirs.refresh_from_db()
    assert theirs.status == Appointment.Status.PENDING_PAYMENT


def test_cancel_through_the_api(client, profile):
    appointment = booked(profile)

    response = client.post(
        reverse("api:appointments:cancel", args=[appointment.pk]),
        {"reason": "有事"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancel_reason"] == "有事"


def test_waitlist_join_list_and_leave(client, profile):
    slot = SlotFactory(capacity=1)
    booked(PatientProfileFactory(), slot)

    joined = client.post(
        reverse("api:appointments:waitlist-join"),
        {"session_id": slot.session_id, "profile_id": profile.pk},
        format="json",
    )
    listed = client.get(reverse("api:appointments:waitlist-list"))
    left = client.post(
        reverse("api:appointments:waitlist-leave", args=[joined.json()["id"]]),
        format="json",
    )

    assert joined.status_code == 201
    assert joined.json()["status"] == "waiting"
    assert listed.json()["count"] == 1
    assert left.json()["status"] == "left"
    assert WaitlistEntry.objects.get().status == WaitlistEntry.Status.LEFT


def test_someone_elses_waitlist_entry_answers_404(client):
    slot = SlotFactory(capacity=1)
    booked(PatientProfileFactory(), slot)
    stranger = PatientProfileFactory()
    from appointments.services import waitlist_join

    entry = waitlist_join(
        actor=Actor.system(), user=stranger.user, profile=stranger, session=slot.session
    )

    response = client.post(
        reverse("api:appointments:waitlist-leave", args=[entry.pk]), format="json"
    )

    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.WAITING


def test_the_staff_day_list_is_limited_to_staff_of_that_hospital(api_client, profile):
    from accounts.models import User

    appointment = booked(profile)
    session = appointment.session
    staff = User.objects.create_user(
        username="desk",
        password="x",
        role=User.Role.HOSPITAL_STAFF,
        hospital=session.hospital,
        is_staff=True,
    )
    other_staff = User.objects.create_user(
        username="elsewhere",
        password="x",
        role=User.Role.HOSPITAL_STAFF,
        hospital=SlotFactory().session.hospital,
    )
    url = reverse("api:appointments:staff-day-list")
    params = {"doctor_id": session.doctor_id, "date": session.date.isoformat()}

    api_client.force_authenticate(profile.user)
    as_patient = api_client.get(url, params)
    api_client.force_authenticate(other_staff)
    as_other = api_client.get(url, params)
    api_client.force_authenticate(staff)
    as_staff = api_client.get(url, params)

    assert as_patient.status_code == 403
    assert as_other.json()["count"] == 0
    assert [row["id"] for row in as_staff.json()["results"]] == [appointment.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"doctor_id": "x"},
        {"doctor_id": 1, "date": "2026-13-45"},
        {"date": "2026-11-22"},
    ],
)
def test_the_staff_day_list_rejects_malformed_ids_and_dates(api_client, params):
    from accounts.models import User

    staff = User.objects.create_user(
        username="desk",
        password="x",
        role=User.Role.HOSPITAL_STAFF,
        hospital=SlotFactory().session.hospital,
        is_staff=True,
    )
    api_client.force_authenticate(staff)

    response = api_client.get(reverse("api:appointments:staff-day-list"), params)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"

"""The patient's availability API: only bookable seats, cheap, cached with versioned keys."""

import datetime

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from scheduling.models import BookingRule, ClinicSession, ClinicType, Period, Slot
from scheduling.services import availability_changed
from tests.hospitals.factories import ConsultingRoomFactory, DoctorFactory
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.factories import (
    BookingRuleFactory,
    SlotFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
WEDNESDAY = MONDAY + 2 * DAY


def _url(doctor_id) -> str:
    return reverse("api:scheduling:doctor-sessions", kwargs={"doctor_id": doctor_id})


def _slot_ids(response) -> list[int]:
    return [slot["id"] for s in response.json()["sessions"] for slot in s["slots"]]


def _session_ids(response) -> list[int]:
    return [s["id"] for s in response.json()["sessions"]]


def _not_found(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": gettext(message), "fields": {}}}


def test_lists_released_open_sessions_with_seats_left_per_slot(api_client, frozen):
    # given: Monday 07:00; a Wednesday morning session with two slots
    first = SlotFactory(
        session__date=WEDNESDAY, capacity=5, booked=2, session__fee=3500
    )
    second = SlotFactory(session=first.session, capacity=5, booked=5)
    session = first.session

    # when
    response = api_client.get(_url(session.doctor_id))

    # then
    assert response.status_code == 200
    assert response.json() == {
        "doctor_id": session.doctor_id,
        "sessions": [
            {
                "id": session.pk,
                "doctor_id": session.doctor_id,
                "hospital_id": session.hospital_id,
                "date": "2026-03-11",
                "period": "morning",
                "period_display": str(Period.MORNING.label),
                "start_time": "08:00",
                "end_time": "12:00",
                "fee": 3500,
                "place": session.place,
                "clinic_type": "general",
                "clinic_type_display": str(ClinicType.GENERAL.label),
                "room": None,
                "remaining": 3,
                # released yesterday (the factory): bookable by anyone
                "release_at": "2026-03-08T07:00:00+08:00",
                "release_queue": False,
                "can_book_from": "2026-03-08T07:00:00+08:00",
                "bookable_now": True,
                "priority_seats_left": None,
                "slots": [
                    {
                        "id": first.pk,
                        "starts_at": "2026-03-11T08:00:00+08:00",
                        "ends_at": "2026-03-11T08:30:00+08:00",
                        "capacity": 5,
                        "remaining": 3,
                        "queue_start": 1,
                    },
                    {
                        "id": second.pk,
                        "starts_at": "2026-03-11T08:30:00+08:00",
                        "ends_at": "2026-03-11T09:00:00+08:00",
                        "capacity": 5,
                        "remaining": 0,
                        "queue_start": 6,
                    },
                ],
            }
        ],
    }


def test_needs_no_login_and_a_bad_token_is_a_401(api_client, frozen):
    slot = SlotFactory()

    anonymous = api_client.get(_url(slot.session.doctor_id))
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    bad_token = api_client.get(_url(slot.session.doctor_id))

    assert anonymous.status_code == 200
    assert _slot_ids(anonymous) == [slot.pk]
    assert bad_token.status_code == 401
    assert bad_token.json()["error"]["code"] == "token_not_valid"


def test_hides_stopped_and_released_out_of_window_sessions(api_client, frozen):
    # given: one doctor, four sessions; the first bookable, the third not released yet
    doctor = DoctorFactory()
    shown = SlotFactory(session__doctor=doctor, session__date=WEDNESDAY)
    SlotFactory(
        session__doctor=doctor,
        session__date=WEDNESDAY,
        session__period=Period.AFTERNOON,
        session__status=ClinicSession.Status.STOPPED,
    )
    # released at 08:00 today: not yet, even though the flag is already set
    unreleased = SlotFactory(
        session__doctor=doctor,
        session__date=MONDAY + 7 * DAY,
        session__release_at=at(MONDAY, 8),
        session__is_released=True,
    )
    # past the 7-day window (staff set an early release by hand)
    SlotFactory(
        session__doctor=doctor,
        session__date=MONDAY + 8 * DAY,
        session__release_at=at(MONDAY - DAY, 8),
    )

    response = api_client.get(_url(doctor.pk))

    assert _slot_ids(response) == [shown.pk, unreleased.pk]
    assert [s["bookable_now"] for s in response.json()["sessions"]] == [True, False]


def test_a_session_becomes_bookable_at_its_release_minute(api_client, frozen):
    slot = SlotFactory(
        session__date=MONDAY + 7 * DAY,
        session__release_at=at(MONDAY, 8),
        session__is_released=False,
    )
    doctor_id = slot.session.doctor_id

    frozen.move_to(at(MONDAY, 7, 59, 59))
    before = api_client.get(_url(doctor_id))
    frozen.move_to(at(MONDAY, 8, 0, 0))
    after = api_client.get(_url(doctor_id))

    # The cached answer of 07:59:59 is not served past the release moment.
    assert _slot_ids(before) == _slot_ids(after) == [slot.pk]
    assert before.json()["sessions"][0]["bookable_now"] is False
    assert after.json()["sessions"][0]["bookable_now"] is True


def test_slots_disappear_at_their_cutoff_minute(api_client, frozen):
    # given: today 09:00 and 09:30 slots, cutoff 30 minutes before the slot
    BookingRuleFactory(hospital=DoctorFactory().hospital, cutoff_minutes=30)
    early = SlotFactory(
        session__date=MONDAY,
        session__doctor__hospital=BookingRule.objects.get().hospital,
        starts_at=at(MONDAY, 9, 0),
        ends_at=at(MONDAY, 9, 30),
    )
    late = SlotFactory(session=early.session)
    doctor_id = early.session.doctor_id

    # when / then: just before 08:30 both; at 08:30 the first is gone (cached or not)
    frozen.move_to(at(MONDAY, 8, 29, 59))
    assert _slot_ids(api_client.get(_url(doctor_id))) == [early.pk, late.pk]
    frozen.move_to(at(MONDAY, 8, 30, 0))
    assert _slot_ids(api_client.get(_url(doctor_id))) == [late.pk]
    # at 09:00 nothing is left, and the session is left out entirely
    frozen.move_to(at(MONDAY, 9, 0, 0))
    assert api_client.get(_url(doctor_id)).json()["sessions"] == []


def test_previous_evening_cutoff_closes_the_whole_session_on_the_evening_before(
    api_client, frozen
):
    rule = BookingRuleFactory(
        cutoff_mode=BookingRule.CutoffMode.PREVIOUS_EVENING,
        cutoff_time=datetime.time(18, 0),
    )
    slot = SlotFactory(
        session__date=MONDAY + DAY, session__doctor__hospital=rule.hospital
    )
    doctor_id = slot.session.doctor_id

    frozen.move_to(at(MONDAY, 17, 59, 59))
    assert _slot_ids(api_client.get(_url(doctor_id))) == [slot.pk]
    frozen.move_to(at(MONDAY, 18, 0, 0))
    assert _slot_ids(api_client.get(_url(doctor_id))) == []


def test_answers_are_cached_until_availability_changed(api_client, frozen):
    # given: a cached answer
    slot = SlotFactory(capacity=5, booked=0)
    doctor_id = slot.session.doctor_id
    api_client.get(_url(doctor_id))
    Slot.objects.filter(pk=slot.pk).update(booked=4)

    # when / then: still the cached seat count
    cached = api_client.get(_url(doctor_id))
    assert cached.json()["sessions"][0]["slots"][0]["remaining"] == 5

    # when / then: the version bump makes the next answer fresh
    availability_changed(doctor_id=doctor_id)
    fresh = api_client.get(_url(doctor_id))
    assert fresh.json()["sessions"][0]["slots"][0]["remaining"] == 1


def test_the_cache_expires_after_a_few_seconds(api_client, frozen, settings):
    settings.AVAILABILITY_CACHE_SECONDS = 5
    slot = SlotFactory(capacity=5, booked=0)
    doctor_id = slot.session.doctor_id
    api_client.get(_url(doctor_id))
    Slot.objects.filter(pk=slot.pk).update(booked=2)

    frozen.shift(6)
    response = api_client.get(_url(doctor_id))

    assert response.json()["sessions"][0]["slots"][0]["remaining"] == 3


def test_a_cached_answer_costs_no_query_and_a_fresh_one_a_fixed_number(
    api_client, frozen, django_assert_num_queries, django_assert_max_num_queries
):
    # given: three sessions with four slots each
    doctor = DoctorFactory()
    for days in (1, 2, 3):
        first = SlotFactory(session__doctor=doctor, session__date=MONDAY + days * DAY)
        SlotFactory.create_batch(3, session=first.session)

    # when / then: doctor, rule, sessions, slots
    with django_assert_max_num_queries(4):
        response = api_client.get(_url(doctor.pk))
    assert len(_slot_ids(response)) == 12
    with django_assert_num_queries(0):  # the doctor and the answer are cached
        api_client.get(_url(doctor.pk))


def test_bookings_changing_seats_do_not_change_the_query_count(
    api_client, frozen, django_assert_max_num_queries
):
    doctor = DoctorFactory()
    for days in range(1, 8):
        first = SlotFactory(session__doctor=doctor, session__date=MONDAY + days * DAY)
        SlotFactory.create_batch(7, session=first.session)

    with django_assert_max_num_queries(4):
        response = api_client.get(_url(doctor.pk))

    assert len(_slot_ids(response)) == 56


def test_unknown_doctor_answers_404_in_the_error_shape(api_client):
    response = api_client.get(_url(999_999))

    assert response.status_code == 404
    assert response.json() == _not_found("doctor_not_found", "Doctor not found.")


@pytest.mark.parametrize(
    "doctor",
    [{"is_active": False}, {"hospital__is_open": False}],
    ids=["inactive", "closed"],
)
def test_inactive_doctor_or_closed_hospital_answers_404(api_client, frozen, doctor):
    slot = SlotFactory(session__doctor=DoctorFactory(**doctor))

    response = api_client.get(_url(slot.session.doctor_id))

    assert response.status_code == 404
    assert response.json() == _not_found("doctor_not_found", "Doctor not found.")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/scheduling/doctors/abc/sessions/",
        "/api/v1/scheduling/doctors/-1/sessions/",
        "/api/v1/scheduling/doctors/99999999999999999999999/sessions/",
        "/api/v1/scheduling/sessions/1.5/",
        "/api/v1/scheduling/sessions/99999999999999999999999/",
    ],
)
def test_malformed_ids_answer_404_in_the_error_shape(client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response.json() == _not_found("not_found", "Not found.")


# -- one session -------------------------------------------------------------------------


def _session_url(session_id) -> str:
    return reverse("api:scheduling:session-detail", kwargs={"session_id": session_id})


def test_session_detail_shows_the_bookable_slots(api_client, frozen):
    slot = SlotFactory(capacity=3, booked=1)

    response = api_client.get(_session_url(slot.session_id))

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == slot.session_id
    assert body["remaining"] == 2
    assert [s["id"] for s in body["slots"]] == [slot.pk]


@pytest.mark.parametrize(
    "session",
    [
        {"status": ClinicSession.Status.STOPPED},
        {
            "status": ClinicSession.Status.STOPPED,
            "release_at": datetime.datetime(2026, 3, 10, tzinfo=datetime.UTC),
        },
        {"doctor__is_active": False},
    ],
    ids=["stopped", "stopped-unreleased", "inactive-doctor"],
)
def test_session_detail_answers_404_when_it_cannot_be_booked(
    api_client, frozen, session
):
    slot = SlotFactory(**{f"session__{key}": value for key, value in session.items()})

    response = api_client.get(_session_url(slot.session_id))

    assert response.status_code == 404
    assert response.json() == _not_found("session_not_found", "Session not found.")


def test_unknown_session_answers_404(api_client):
    response = api_client.get(_session_url(123_456))

    assert response.status_code == 404
    assert response.json() == _not_found("session_not_found", "Session not found.")


def test_sessions_show_their_clinic_type_and_room_and_filter_by_type(
    api_client, frozen
):
    # given: an expert clinic in room 3 on Wednesday, a general one on Thursday
    room = ConsultingRoomFactory(name="3诊室", floor="3F", building="门诊楼")
    doctor = DoctorFactory(department=room.department)
    expert = SlotFactory(
        session__doctor=doctor,
        session__date=WEDNESDAY,
        session__clinic_type=ClinicType.EXPERT,
        session__room=room,
    ).session
    general = SlotFactory(session__doctor=doctor, session__date=WEDNESDAY + DAY).session

    # when
    everything = api_client.get(_url(doctor.pk))
    experts = api_client.get(_url(doctor.pk), {"clinic_type": "expert"})
    specialists = api_client.get(_url(doctor.pk), {"clinic_type": "specialist"})
    detail = api_client.get(
        reverse("api:scheduling:session-detail", kwargs={"session_id": expert.pk})
    )

    # then
    assert _session_ids(everything) == [expert.pk, general.pk]
    first = everything.json()["sessions"][0]
    assert {k: first[k] for k in ("clinic_type", "clinic_type_display", "room")} == {
        "clinic_type": "expert",
        "clinic_type_display": "Expert clinic",
        "room": {"id": room.pk, "name": "3诊室", "floor": "3F", "building": "门诊楼"},
    }
    assert everything.json()["sessions"][1]["room"] is None
    assert _session_ids(experts) == [expert.pk]
    assert _session_ids(specialists) == []
    assert detail.json()["room"]["id"] == room.pk
    assert detail.json()["clinic_type"] == "expert"


def test_an_unknown_clinic_type_is_refused_with_400(api_client, frozen):
    slot = SlotFactory()

    response = api_client.get(_url(slot.session.doctor_id), {"clinic_type": "vip"})

    assert response.status_code == 400
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert set(body["fields"]) == {"clinic_type"}


def test_the_clinic_type_reads_in_chinese(api_client, frozen):
    slot = SlotFactory(session__clinic_type=ClinicType.SPECIALIST)

    response = api_client.get(
        _url(slot.session.doctor_id), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.json()["sessions"][0]["clinic_type_display"] == "专科门诊"

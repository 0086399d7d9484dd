"""Unreleased sessions in the availability API: everyone sees when they open (放号时间),
a member also when they may book early, from the moment booking itself checks."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import MemberLevel
from tests.appointments.factories import PatientProfileFactory
from tests.hospitals.factories import DoctorFactory
from tests.records.helpers import client_for
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.factories import SlotFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
# The factory's hospital: 7-day window, 08:00 release. Monday 07:00 now; the session on
# Monday next week opens at 08:00 today, the one on Tuesday next week at 08:00 tomorrow.
RELEASE = at(MONDAY + DAY, 8)


def _list_url(doctor_id) -> str:
    return reverse("api:scheduling:doctor-sessions", kwargs={"doctor_id": doctor_id})


def _detail_url(session_id) -> str:
    return reverse("api:scheduling:session-detail", kwargs={"session_id": session_id})


def _user_of_level(code: str):
    profile = PatientProfileFactory()
    profile.user.member_level = MemberLevel.objects.get(code=code)
    profile.user.save(update_fields=["member_level"])
    return profile.user


def _timing(session: dict) -> tuple[str, str, bool]:
    return session["release_at"], session["can_book_from"], session["bookable_now"]


@pytest.fixture
def unreleased():
    """A session of Tuesday next week, released tomorrow 08:00, two slots of 5 seats."""
    slot = SlotFactory(
        session__date=MONDAY + 8 * DAY,
        session__release_at=RELEASE,
        capacity=5,
        booked=1,
    )
    SlotFactory(session=slot.session, capacity=5)
    return slot.session


def test_a_vip_sees_the_session_with_an_earlier_can_book_from(frozen, unreleased):
    # given: a VIP (24 hours early); 09:00 today is inside their window
    frozen.move_to(at(MONDAY, 9))
    client = client_for(_user_of_level("vip"))  # tokens expire: issued at "now"

    # when
    response = client.get(_list_url(unreleased.doctor_id))

    # then
    assert response.status_code == 200
    [session] = response.json()["sessions"]
    assert session["id"] == unreleased.pk
    assert _timing(session) == (
        "2026-03-10T08:00:00+08:00",
        "2026-03-09T08:00:00+08:00",
        True,
    )
    assert session["remaining"] == 9
    assert [slot["remaining"] for slot in session["slots"]] == [4, 5]


def test_before_their_window_a_vip_sees_it_not_bookable_yet(frozen, unreleased):
    frozen.move_to(at(MONDAY, 7, 59, 59))
    client = client_for(_user_of_level("vip"))

    [session] = client.get(_list_url(unreleased.doctor_id)).json()["sessions"]

    assert _timing(session) == (
        "2026-03-10T08:00:00+08:00",
        "2026-03-09T08:00:00+08:00",
        False,
    )


@pytest.mark.parametrize("level", ["normal", "silver"])
def test_a_member_without_a_priority_window_waits_for_the_release(  # 0 hours early
    frozen, unreleased, level
):
    frozen.move_to(at(MONDAY, 9))
    client = client_for(_user_of_level(level))

    [session] = client.get(_list_url(unreleased.doctor_id)).json()["sessions"]

    assert _timing(session) == (
        "2026-03-10T08:00:00+08:00",
        "2026-03-10T08:00:00+08:00",
        False,
    )


def test_anonymous_sees_the_public_release_and_a_bad_token_is_told_to_refresh(
    api_client, frozen, unreleased
):
    frozen.move_to(at(MONDAY, 9))
    anonymous = api_client.get(_list_url(unreleased.doctor_id))
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    bad_token = api_client.get(_list_url(unreleased.doctor_id))

    assert anonymous.status_code == 200
    [session] = anonymous.json()["sessions"]
    assert _timing(session) == (
        "2026-03-10T08:00:00+08:00",
        "2026-03-10T08:00:00+08:00",
        False,
    )
    # A sent token that fails is a 401 the client answers with a refresh, not an
    # anonymous answer that would hide a member's priority window.
    assert bad_token.status_code == 401
    assert bad_token.json()["error"]["code"] == "token_not_valid"


def test_the_cached_answer_differs_per_caller(api_client, frozen, unreleased):
    # given: the VIP's request fills the cache
    frozen.move_to(at(MONDAY, 9))
    vip = client_for(_user_of_level("vip")).get(_list_url(unreleased.doctor_id))

    # when: an anonymous caller reads the same cached answer
    anonymous = api_client.get(_list_url(unreleased.doctor_id))

    assert vip.json()["sessions"][0]["bookable_now"] is True
    assert anonymous.json()["sessions"][0]["bookable_now"] is False


def test_everyone_may_book_from_the_release(frozen, unreleased):
    frozen.move_to(RELEASE)

    vip = client_for(_user_of_level("vip")).get(_list_url(unreleased.doctor_id))
    normal = client_for(_user_of_level("normal")).get(_list_url(unreleased.doctor_id))

    assert _timing(vip.json()["sessions"][0]) == (
        "2026-03-10T08:00:00+08:00",
        "2026-03-09T08:00:00+08:00",
        True,
    )
    assert _timing(normal.json()["sessions"][0]) == (
        "2026-03-10T08:00:00+08:00",
        "2026-03-10T08:00:00+08:00",
        True,
    )


def test_the_session_detail_shows_an_unreleased_session_per_caller(
    api_client, frozen, unreleased
):
    frozen.move_to(at(MONDAY, 9))

    vip = client_for(_user_of_level("vip")).get(_detail_url(unreleased.pk))
    anonymous = api_client.get(_detail_url(unreleased.pk))

    assert (vip.status_code, anonymous.status_code) == (200, 200)
    assert _timing(vip.json()) == (
        "2026-03-10T08:00:00+08:00",
        "2026-03-09T08:00:00+08:00",
        True,
    )
    assert _timing(anonymous.json()) == (
        "2026-03-10T08:00:00+08:00",
        "2026-03-10T08:00:00+08:00",
        False,
    )


def test_a_stopped_unreleased_session_stays_hidden(api_client, frozen, unreleased):
    unreleased.status = unreleased.Status.STOPPED
    unreleased.save(update_fields=["status"])

    listed = api_client.get(_list_url(unreleased.doctor_id))
    detail = api_client.get(_detail_url(unreleased.pk))

    assert listed.json()["sessions"] == []
    assert detail.status_code == 404


def test_a_signed_in_callers_list_costs_a_fixed_number_of_queries(
    frozen, django_assert_num_queries
):
    # given: a VIP, and a doctor with released and unreleased sessions (7 + 3 days)
    client = client_for(_user_of_level("vip"))
    doctor = DoctorFactory()
    for days in range(1, 11):
        first = SlotFactory(
            session__doctor=doctor,
            session__date=MONDAY + days * DAY,
            session__release_at=at(MONDAY + (days - 7) * DAY, 8),
        )
        SlotFactory.create_batch(3, session=first.session)
    client.get(_list_url(doctor.pk))  # fills the cache

    # when / then: the user and the member level; the token's login session (not
    # revoked), the doctor and the sessions come from the cache
    with django_assert_num_queries(2):
        response = client.get(_list_url(doctor.pk))

    assert len(response.json()["sessions"]) == 10
    # released (days 1-6), in the VIP's window (day 7), not yet (days 8-10)
    bookable = [s["bookable_now"] for s in response.json()["sessions"]]
    assert bookable == [True] * 7 + [False] * 3


def test_the_schema_documents_the_release_fields_and_an_optional_login(client):
    schema = client.get("/api/schema/?format=json").json()

    list_200 = schema["paths"]["/api/v1/scheduling/doctors/{doctor_id}/sessions/"][
        "get"
    ]["responses"]["200"]["content"]["application/json"]["schema"]
    detail = schema["paths"]["/api/v1/scheduling/sessions/{session_id}/"]["get"]
    detail_200 = detail["responses"]["200"]["content"]["application/json"]["schema"]
    list_ref = schema["components"]["schemas"][list_200["$ref"].rsplit("/", 1)[1]]
    session_ref = list_ref["properties"]["sessions"]["items"]["$ref"]
    session = schema["components"]["schemas"][session_ref.rsplit("/", 1)[1]]

    assert detail_200 == {"$ref": session_ref}
    assert {
        name: session["properties"][name].get(
            "format", session["properties"][name]["type"]
        )
        for name in ("release_at", "can_book_from", "bookable_now")
    } == {
        "release_at": "date-time",
        "can_book_from": "date-time",
        "bookable_now": "boolean",
    }
    assert {"release_at", "can_book_from", "bookable_now"} <= set(session["required"])
    # a token is welcome, none is needed
    assert {} in detail["security"]


@pytest.mark.parametrize(
    ("level", "left"),
    [
        ("vip", 1),  # 20 % of 10 seats: 2, one taken
        ("gold", 0),  # 10 % of 10 seats: 1, taken
        ("normal", None),  # no priority window
    ],
)
def test_a_member_sees_the_priority_seats_left_before_the_release(
    frozen, unreleased, level, left
):
    frozen.move_to(at(MONDAY, 9))
    client = client_for(_user_of_level(level))

    listed = client.get(_list_url(unreleased.doctor_id)).json()["sessions"]
    detail = client.get(_detail_url(unreleased.pk)).json()

    assert [session["priority_seats_left"] for session in listed] == [left]
    assert detail["priority_seats_left"] == left


def test_after_the_release_and_for_anonymous_callers_there_is_no_priority_count(
    api_client, frozen, unreleased
):
    frozen.move_to(at(MONDAY, 9))
    [anonymous] = api_client.get(_list_url(unreleased.doctor_id)).json()["sessions"]
    frozen.move_to(RELEASE)
    client = client_for(_user_of_level("vip"))
    [released] = client.get(_list_url(unreleased.doctor_id)).json()["sessions"]

    assert anonymous["priority_seats_left"] is None
    assert released["priority_seats_left"] is None

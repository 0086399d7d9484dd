"""A doctor's session list cached rendered per kind of caller (scheduling.session_answers):
a fixed number of queries, per-caller answers kept apart, stale at once after a change
and never served past the moment it would change by itself."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import MemberLevel
from common.services import Actor
from hospitals.cache import catalog_invalidate, catalog_version
from hospitals.models import Doctor
from hospitals.services import doctor_update
from scheduling import session_answers
from scheduling.apis import DoctorSessionListApi
from scheduling.models import ClinicSession, Slot
from scheduling.services import (
    availability_changed,
    availability_versions,
    booking_rule_save,
)
from tests.appointments.factories import PatientProfileFactory
from tests.hospitals.factories import DoctorFactory
from tests.records.helpers import client_for
from tests.scheduling.conftest import MONDAY, at
from tests.scheduling.factories import BookingRuleFactory, SlotFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _url(doctor_id: int) -> str:
    return reverse("api:scheduling:doctor-sessions", kwargs={"doctor_id": doctor_id})


def _vip():
    profile = PatientProfileFactory()
    profile.user.member_level = MemberLevel.objects.get(code="vip")
    profile.user.save(update_fields=["member_level"])
    return profile.user


def _doctor_with_sessions(count: int):
    """A doctor with `count` sessions of three slots from tomorrow on, one a day: the
    first six released, the others not yet (listed with their release)."""
    doctor = DoctorFactory()
    for day in range(1, count + 1):
        first = SlotFactory(
            session__doctor=doctor,
            session__date=MONDAY + day * DAY,
            session__release_at=at(MONDAY + (day - 7) * DAY, 8),
        )
        SlotFactory.create_batch(2, session=first.session)
    return doctor


@pytest.mark.parametrize("count", [1, 30])
def test_an_anonymous_list_costs_four_queries_built_and_none_cached(
    api_client, frozen, django_assert_num_queries, count
):
    doctor = _doctor_with_sessions(count)

    # when / then: doctor, booking rule, sessions with rooms, slots; then nothing
    with django_assert_num_queries(4):
        built = api_client.get(_url(doctor.pk))
    with django_assert_num_queries(0):
        cached = api_client.get(_url(doctor.pk))

    assert len(built.json()["sessions"]) == count
    assert cached.content == built.content


@pytest.mark.parametrize("count", [1, 30])
def test_a_members_list_costs_the_same_queries_for_1_or_30_sessions(
    frozen, django_assert_num_queries, count
):
    doctor = _doctor_with_sessions(count)
    client = client_for(_vip())

    # when / then: the token's login session and user, the member level; building adds
    # the doctor, the booking rule, the sessions and the slots
    with django_assert_num_queries(7):
        built = client.get(_url(doctor.pk))
    # the login session's "not revoked" is cached by then: the user and the level
    with django_assert_num_queries(2):
        cached = client.get(_url(doctor.pk))

    assert len(built.json()["sessions"]) == count
    assert cached.content == built.content


def test_a_booking_is_seen_at_once(api_client, frozen):
    # given: a cached answer
    doctor = _doctor_with_sessions(1)
    api_client.get(_url(doctor.pk))
    slot = Slot.objects.filter(session__doctor=doctor).order_by("pk").first()

    # when: a seat is taken, and the booking bumps the doctor's version after commit
    Slot.objects.filter(pk=slot.pk).update(booked=1)
    availability_changed(doctor_id=doctor.pk)

    # then
    slots = api_client.get(_url(doctor.pk)).json()["sessions"][0]["slots"]
    assert [s["remaining"] for s in slots] == [
        slot.capacity - 1,
        slot.capacity,
        slot.capacity,
    ]


def test_a_members_cached_answer_ends_when_their_window_opens(frozen):
    # given: a session of Tuesday next week, released tomorrow 08:00: a VIP (24 hours
    # early) may book it from 08:00 today; their answer is cached a second before
    slot = SlotFactory(
        session__date=MONDAY + 8 * DAY, session__release_at=at(MONDAY + DAY, 8)
    )
    frozen.move_to(at(MONDAY, 7, 59, 59))
    client = client_for(_vip())
    before = client.get(_url(slot.session.doctor_id)).json()["sessions"][0]

    # when
    frozen.move_to(at(MONDAY, 8))
    after = client.get(_url(slot.session.doctor_id)).json()["sessions"][0]

    # then
    assert (before["bookable_now"], after["bookable_now"]) == (False, True)


def test_anonymous_and_member_answers_are_kept_apart(api_client, frozen):
    # given: the same session as above, at 09:00 today
    slot = SlotFactory(
        session__date=MONDAY + 8 * DAY,
        session__release_at=at(MONDAY + DAY, 8),
        capacity=10,
    )
    frozen.move_to(at(MONDAY, 9))
    url = _url(slot.session.doctor_id)

    # when: anonymous first, the VIP, anonymous again (both cached by then)
    first = api_client.get(url).json()["sessions"][0]
    vip = client_for(_vip()).get(url).json()["sessions"][0]
    again = api_client.get(url).json()["sessions"][0]

    # then
    assert first == again
    assert (first["can_book_from"], first["priority_seats_left"]) == (
        "2026-03-10T08:00:00+08:00",
        None,
    )
    assert (vip["can_book_from"], vip["priority_seats_left"]) == (
        "2026-03-09T08:00:00+08:00",
        2,  # 20 % of 10 seats
    )


def test_each_language_has_its_answer(api_client, frozen):
    doctor = _doctor_with_sessions(1)

    english = api_client.get(_url(doctor.pk), HTTP_ACCEPT_LANGUAGE="en")
    chinese = api_client.get(_url(doctor.pk), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.json()["sessions"][0]["period_display"] == "Morning"
    assert chinese.json()["sessions"][0]["period_display"] == "上午"


def test_the_cache_answering_before_drf_sends_drfs_bytes_and_headers(
    api_client, frozen, monkeypatch
):
    # given: the anonymous answer built and sent through DRF
    doctor = _doctor_with_sessions(3)
    url = _url(doctor.pk) + "?clinic_type=general"
    through_drf = api_client.get(url)

    # when: answered before DRF
    def drf_must_not_run(*args, **kwargs):
        raise AssertionError("DRF ran")

    monkeypatch.setattr(DoctorSessionListApi, "dispatch", drf_must_not_run)
    before_drf = api_client.get(url)

    # then
    assert len(through_drf.json()["sessions"]) == 3
    assert before_drf.content == through_drf.content
    # Every answer has a request id of its own (common/request_context.py).
    assert before_drf.headers.pop("X-Request-ID")
    assert through_drf.headers.pop("X-Request-ID")
    assert dict(before_drf.headers) == dict(through_drf.headers)


def test_a_bad_filter_is_refused_by_drf(api_client, frozen):
    doctor = _doctor_with_sessions(1)
    api_client.get(_url(doctor.pk) + "?clinic_type=vip")

    response = api_client.get(_url(doctor.pk) + "?clinic_type=vip")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "clinic_type": ['"vip" is not a valid choice.']
    }


def test_a_doctor_deactivated_through_the_services_is_gone_at_once(
    api_client, frozen, django_capture_on_commit_callbacks
):
    # given: a cached answer and a cached doctor
    doctor = _doctor_with_sessions(1)
    assert api_client.get(_url(doctor.pk)).status_code == 200

    # when
    with django_capture_on_commit_callbacks(execute=True):
        doctor_update(actor=Actor.system(), doctor=doctor, data={"is_active": False})

    # then
    response = api_client.get(_url(doctor.pk))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "doctor_not_found"


@pytest.mark.parametrize("count", [1, 30])
def test_a_session_detail_costs_the_same_queries_for_1_or_30_sessions(
    api_client, frozen, django_assert_num_queries, count
):
    doctor = _doctor_with_sessions(count)
    session = ClinicSession.objects.filter(doctor=doctor).order_by("date").last()
    url = reverse("api:scheduling:session-detail", kwargs={"session_id": session.pk})

    # when / then: the session's doctor id, the doctor, the booking rule, the sessions,
    # the slots; then only the session's doctor id (the rest is cached)
    with django_assert_num_queries(5):
        built = api_client.get(url)
    with django_assert_num_queries(1):
        cached = api_client.get(url)

    assert built.json()["id"] == session.pk
    assert cached.content == built.content


def test_a_new_booking_rule_is_seen_at_once(
    api_client, frozen, django_capture_on_commit_callbacks
):
    # given: a cached answer with a session released tomorrow at 08:00 (7-day window)
    slot = SlotFactory(
        session__date=MONDAY + 8 * DAY, session__release_at=at(MONDAY + DAY, 8)
    )
    url = _url(slot.session.doctor_id)
    before = api_client.get(url).json()["sessions"][0]["release_at"]
    rule = BookingRuleFactory(hospital=slot.session.hospital)

    # when: a 10-day window, released at 07:30
    rule.window_days = 10
    rule.release_time = datetime.time(7, 30)
    with django_capture_on_commit_callbacks(execute=True):
        booking_rule_save(actor=Actor.system(), rule=rule)

    # then
    after = api_client.get(url).json()["sessions"][0]["release_at"]
    assert (before, after) == (
        "2026-03-10T08:00:00+08:00",
        "2026-03-07T07:30:00+08:00",
    )


@pytest.mark.parametrize("numbers_exist", [True, False])
def test_an_answer_built_while_the_doctor_leaves_is_not_served(
    api_client, frozen, monkeypatch, numbers_exist
):
    # given: the doctor is deactivated (and the catalog's version bumped, as the service
    # does on commit) right after the answer's build has read them; the version numbers
    # were set before, or are started by this very read
    doctor = _doctor_with_sessions(1)
    if numbers_exist:
        catalog_version()
        availability_versions(doctor_id=doctor.pk, hospital_id=doctor.hospital_id)
    read = session_answers.doctor_get_bookable

    def deactivated_meanwhile(**kwargs):
        found = read(**kwargs)
        Doctor.objects.filter(pk=doctor.pk).update(is_active=False)
        catalog_invalidate()
        return found

    monkeypatch.setattr(session_answers, "doctor_get_bookable", deactivated_meanwhile)
    first = api_client.get(_url(doctor.pk))
    monkeypatch.setattr(session_answers, "doctor_get_bookable", read)

    # when
    second = api_client.get(_url(doctor.pk))

    # then
    assert first.status_code == 200
    assert second.status_code == 404

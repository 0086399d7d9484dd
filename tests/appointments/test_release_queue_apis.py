"""The release queue's API: join (201, then 200), the place polled with a token and no
user row read, leave, the error shape of every refusal, the booking endpoint's refusals
ahead of DRF, the fallback when Redis is lost, places kept across a web restart, and the
minute job (sessions marked by demand, the demand written down)."""

import contextlib
import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from appointments.release_queue import scripts as queue_scripts_module
from appointments.release_queue.upkeep import release_queue_upkeep
from appointments.services.stock_booking import booking_try_stock
from appointments.stock import client as stock_client_module
from appointments.stock.client import stock_outage_reset
from appointments.stock.loading import sessions_stock_load
from common.errors import Conflict
from common.models import OperationLog
from scheduling.models import BookingRule, ClinicSession
from scheduling.services import sessions_release_queue_mark_auto
from tests.appointments.factories import PatientProfileFactory
from tests.appointments.release_queue_helpers import at, hot_session, join, place
from tests.appointments.stock_helpers import needs_redis, stock
from tests.fakes.redis_server import closed_port
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

pytestmark = [pytest.mark.django_db, needs_redis]
__all__ = ["stock"]


def _client(api_client, profile):
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(profile.user)}"
    )
    return api_client


def _place_url(session) -> str:
    return reverse("api:appointments:release-queue-place", args=[session.pk])


def _join_url(session) -> str:
    return reverse("api:appointments:release-queue-join", args=[session.pk])


def test_join_poll_and_leave_through_the_api(
    stock, api_client, django_assert_num_queries
):
    # given
    session, _ = hot_session()
    profile = PatientProfileFactory()
    client = _client(api_client, profile)

    with time_machine.travel(at(session, -120), tick=False):
        # when: joined, then joined again
        first = client.post(
            _join_url(session), {"profile_id": profile.pk}, format="json"
        )
        again = client.post(
            _join_url(session), {"profile_id": profile.pk}, format="json"
        )

        # then
        assert first.status_code == 201, first.json()
        assert again.status_code == 200
        body = first.json()
        assert body["state"] == "drawing"
        assert body["profile_id"] == profile.pk
        assert body["waiting_room"] == 1
        assert body["poll_after_seconds"] == 30

        # and a poll reads no row at all
        with django_assert_num_queries(0):
            polled = client.get(_place_url(session))
        assert polled.status_code == 200
        assert polled.json()["state"] == "drawing"

    with time_machine.travel(at(session, 1), tick=False):
        admitted = client.get(_place_url(session)).json()
        assert admitted["state"] == "admitted"
        assert admitted["position"] == 1
        assert admitted["pass_until"]

        # when: left
        assert client.delete(_place_url(session)).status_code == 204
        gone = client.delete(_place_url(session))
        assert gone.status_code == 404
        assert gone.json()["error"]["code"] == "release_queue_not_joined"
        assert client.get(_place_url(session)).json()["state"] == "open"


def test_refusals_come_in_the_error_shape(stock, api_client):
    session, _ = hot_session()
    profile = PatientProfileFactory()
    other = PatientProfileFactory()
    with time_machine.travel(at(session, -40 * 60), tick=False):
        client = _client(api_client, profile)
        early = client.post(
            _join_url(session), {"profile_id": profile.pk}, format="json"
        )
        assert early.status_code == 409
        assert early.json()["error"]["code"] == "release_queue_not_open"
        assert client.get(_place_url(session)).json()["state"] == "not_open"
    with time_machine.travel(at(session, -60), tick=False):
        client = _client(api_client, profile)
        foreign = client.post(
            _join_url(session), {"profile_id": other.pk}, format="json"
        )
        assert foreign.status_code == 404
        assert foreign.json()["error"]["code"] == "profile_not_found"
        bad = client.post(_join_url(session), {"profile_id": "x"}, format="json")
        assert bad.status_code == 400
        assert "profile_id" in bad.json()["error"]["fields"]
        missing = client.post(
            reverse("api:appointments:release-queue-join", args=[999_999]),
            {"profile_id": profile.pk},
            format="json",
        )
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "session_not_found"
    assert api_client.logout() is None
    api_client.credentials()
    assert api_client.get(_place_url(session)).status_code == 401


def test_the_booking_endpoint_refuses_without_a_pass_before_drf(stock, api_client):
    # given: a queued session a moment after its release, a patient with no place
    session, (slot,) = hot_session()
    holder = PatientProfileFactory()
    join(holder, session, at(session, -60))
    place(holder, session, at(session, 0.5))  # the draw (prepares the stock too)
    stranger = PatientProfileFactory()
    client = _client(api_client, stranger)

    # when
    with time_machine.travel(at(session, 1), tick=False):
        refused = client.post(
            reverse("api:appointments:book"),
            {"slot_id": slot.pk, "profile_id": stranger.pk},
            format="json",
        )

    # then
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "release_queue_required"


def test_with_redis_lost_the_queue_says_fallback_and_booking_goes_on(
    stock, api_client, settings, django_capture_on_commit_callbacks
):
    # given: the stock's Redis unreachable
    session, (slot,) = hot_session(release_in=-datetime.timedelta(seconds=30))
    settings.BOOKING_STOCK_REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    stock_outage_reset()
    profile = PatientProfileFactory()
    client = _client(api_client, profile)

    # when
    joined = client.post(_join_url(session), {"profile_id": profile.pk}, format="json")
    polled = client.get(_place_url(session))
    with django_capture_on_commit_callbacks(execute=True):
        booked = client.post(
            reverse("api:appointments:book"),
            {"slot_id": slot.pk, "profile_id": profile.pk},
            format="json",
        )

    # then: the database path booked it
    assert joined.json()["state"] == "fallback"
    assert polled.json()["state"] == "fallback"
    assert booked.status_code == 201, booked.json()
    stock_outage_reset()


def test_places_survive_a_web_restart(stock):
    # given: places held
    session, _ = hot_session()
    profiles = [PatientProfileFactory() for _ in range(3)]
    for profile in profiles:
        join(profile, session, at(session, -60))
    before = {p.pk: place(p, session, at(session, 1)).position for p in profiles}

    # when: the process's clients and registered scripts are gone (a new process)
    stock_client_module._clients.clear()
    queue_scripts_module._scripts.clear()

    # then: the same places
    after = {p.pk: place(p, session, at(session, 1.5)).position for p in profiles}
    assert after == before
    assert sorted(after.values()) == [1, 2, 3]


def test_the_minute_job_writes_the_demand_and_marks_the_next_release_by_it(
    stock, settings
):
    # given: a doctor's session released 20 minutes ago, 3 seats, 7 accounts tried
    settings.BOOKING_STOCK_PRELOAD_MINUTES = 60
    now = timezone.now()
    past = ClinicSessionFactory(release_at=now - datetime.timedelta(minutes=20))
    slot = SlotFactory(session=past, capacity=3)
    sessions_stock_load([past.pk])
    tries = [PatientProfileFactory() for _ in range(7)]
    for profile in tries:
        with contextlib.suppress(Conflict):  # refused for a full slot: demand too
            booking_try_stock(
                user_id=profile.user_id,
                profile_id=profile.pk,
                slot_id=slot.pk,
                now=now - datetime.timedelta(minutes=19),
            )
    coming = ClinicSessionFactory(
        doctor=past.doctor,
        date=past.date + datetime.timedelta(days=1),
        release_at=now + datetime.timedelta(minutes=30),
        is_released=False,
    )
    SlotFactory(session=coming, capacity=3)
    rule, _ = BookingRule.objects.get_or_create(hospital=past.hospital)

    # when: no factor yet
    report = release_queue_upkeep(now=now)

    # then: the demand is written; nothing marked
    past.refresh_from_db()
    assert past.release_demand == 7
    assert report.demand_recorded == 1
    assert report.marked == []

    # when: the hospital sets a factor of 2 (7 >= 2 x 3)
    rule.release_queue_demand_factor = 2
    rule.save()
    report = release_queue_upkeep(now=now)

    # then
    coming.refresh_from_db()
    assert report.marked == [coming.pk]
    assert coming.release_queue
    log = OperationLog.objects.get(action="session_release_queue_on")
    assert "7 accounts for 3 seats" in log.summary
    assert not ClinicSession.objects.get(pk=past.pk).release_queue


def test_marking_by_demand_reads_in_three_queries_however_many_sessions_come(
    settings, django_assert_num_queries
):
    # given: 6 doctors, each with a measured release below the factor and a session coming
    now = timezone.now()
    for _n in range(6):
        past = ClinicSessionFactory(
            release_at=now - datetime.timedelta(days=1), release_demand=2
        )
        SlotFactory(session=past, capacity=3)
        ClinicSessionFactory(
            doctor=past.doctor,
            date=past.date + datetime.timedelta(days=1),
            release_at=now + datetime.timedelta(minutes=30),
            is_released=False,
        )
        BookingRule.objects.update_or_create(
            hospital=past.hospital, defaults={"release_queue_demand_factor": 2}
        )

    # then: the rules, the coming sessions with their last release, that release's seats
    with django_assert_num_queries(3):
        assert sessions_release_queue_mark_auto(now=now) == []

"""Redis is an accelerator, not a dependency of correctness.

The patient's whole walk through the API (catalog, a doctor's sessions, SMS login, a
profile, booking, paying, cancelling) runs with the cache as configured, and with CACHES
pointing the real Redis client at a port where nothing listens, as a second instance whose
REDIS_URL is wrong would; then the same with the broker unreachable, and with both. Every
step must answer the same. This module needs no Redis, so CI always runs it (marker
`redis_down`).
"""

import datetime
from collections import Counter

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts import wechat
from accounts.models import PatientProfile, SmsCode
from accounts.services.login import sms_code_send
from appointments.models import Appointment
from billing.models import PaymentOrder, Refund
from billing.services import payment_order_dev_pay
from common.errors import DomainError
from common.services import Actor
from config.settings import redis_caches
from tests.appointments.factories import PatientProfileFactory
from tests.billing.factories import ACTOR, open_order
from tests.fakes.redis_server import closed_port
from tests.race import needs_row_locks, run_at_once
from tests.scheduling.factories import SlotFactory

# transaction=True: writes really commit, so their after-commit cache work really runs
# inside the request, as in production.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.clock,
    pytest.mark.redis_down,
]

PHONE = "13800138000"
ID_CARD = "11010519491231002X"


@pytest.fixture
def redis_down(settings):
    """The real Redis backend, pointed at a port where nothing listens."""
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{closed_port()}/0")


@pytest.fixture(params=["all_up", "cache_down", "broker_down", "both_down"])
def outage(request) -> str:
    """The same walk with every part up, the cache down, the broker down, or both."""
    if request.param in ("cache_down", "both_down"):
        request.getfixturevalue("redis_down")
    if request.param in ("broker_down", "both_down"):
        request.getfixturevalue("broker_down")
    return request.param


def test_the_patient_walk_answers_the_same_with_the_cache_or_the_broker_down(
    outage, api_client, sms_server, settings
):
    # given: a released session two days ahead with a 30-yuan fee; the dev payment channel
    settings.PAYMENTS_DEV_GATEWAY = True
    slot = SlotFactory(session__fee=3000)
    session = slot.session
    doctor = session.doctor
    hospital = doctor.hospital

    # when / then: the catalog answers from the database
    hospitals = api_client.get(reverse("api:hospitals:list"))
    assert hospitals.status_code == 200
    assert [h["id"] for h in hospitals.json()["results"]] == [hospital.pk]
    detail = api_client.get(reverse("api:hospitals:detail", args=[hospital.pk]))
    assert detail.status_code == 200
    assert detail.json()["id"] == hospital.pk
    doctors = api_client.get(
        reverse("api:hospitals:department-doctors", args=[doctor.department_id])
    )
    assert doctors.status_code == 200
    assert [d["id"] for d in doctors.json()["results"]] == [doctor.pk]
    doctor_detail = api_client.get(
        reverse("api:hospitals:doctor-detail", args=[doctor.pk])
    )
    assert doctor_detail.status_code == 200

    # ... and the doctor's sessions with their seats
    sessions = api_client.get(
        reverse("api:scheduling:doctor-sessions", args=[doctor.pk])
    )
    assert sessions.status_code == 200
    assert [s["id"] for s in sessions.json()["sessions"]] == [session.pk]
    session_detail = api_client.get(
        reverse("api:scheduling:session-detail", args=[session.pk])
    )
    assert session_detail.status_code == 200
    assert [(s["id"], s["remaining"]) for s in session_detail.json()["slots"]] == [
        (slot.pk, 5)
    ]

    # when / then: an SMS code is sent once; asking again at once is refused (the
    # database enforces the interval when the cache guard cannot)
    sent = api_client.post(
        reverse("api:accounts:sms-send"), {"phone": PHONE}, format="json"
    )
    assert sent.status_code == 200
    again = api_client.post(
        reverse("api:accounts:sms-send"), {"phone": PHONE}, format="json"
    )
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "sms_too_frequent"
    assert SmsCode.objects.count() == 1
    assert len(sms_server.codes_sent_to(PHONE)) == 1

    # ... and logs the patient in
    login = api_client.post(
        reverse("api:accounts:login-sms"),
        {"phone": PHONE, "code": sms_server.last_code(PHONE)},
        format="json",
    )
    assert login.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")

    # when / then: a profile (就诊人) is created
    profile = api_client.post(
        reverse("api:accounts:profile-create"),
        {"name": "王小明", "relation": "self", "id_card_no": ID_CARD, "phone": PHONE},
        format="json",
    )
    assert profile.status_code == 201
    profile_id = profile.json()["id"]
    assert PatientProfile.objects.filter(pk=profile_id).exists()

    # when / then: the seat is booked, and the session shows one seat fewer
    book = api_client.post(
        reverse("api:appointments:book"),
        {"slot_id": slot.pk, "profile_id": profile_id},
        format="json",
        HTTP_IDEMPOTENCY_KEY="walk-book-1",
    )
    assert book.status_code == 201
    assert book.json()["status"] == "pending_payment"
    appointment_id = book.json()["id"]
    replay = api_client.post(
        reverse("api:appointments:book"),
        {"slot_id": slot.pk, "profile_id": profile_id},
        format="json",
        HTTP_IDEMPOTENCY_KEY="walk-book-1",
    )
    assert replay.status_code == 201
    assert replay.json()["id"] == appointment_id
    assert Appointment.objects.count() == 1
    after_booking = api_client.get(
        reverse("api:scheduling:session-detail", args=[session.pk])
    )
    assert [s["remaining"] for s in after_booking.json()["slots"]] == [4]

    # when / then: it is paid (dev channel)
    order = api_client.post(
        reverse("api:billing:order-create"),
        {"appointment_id": appointment_id, "channel": "dev"},
        format="json",
    )
    assert order.status_code == 201
    order_id = order.json()["id"]
    paid = api_client.post(reverse("api:billing:order-dev-pay", args=[order_id]))
    assert paid.status_code == 200
    assert paid.json()["status"] == "paid"
    assert Appointment.objects.get(pk=appointment_id).status == "booked"

    # when: the patient cancels
    cancel = api_client.post(
        reverse("api:appointments:cancel", args=[appointment_id]),
        {"reason": "改期"},
        format="json",
    )

    # then: 200, the appointment is cancelled, the seat is back and the fee is refunded
    assert cancel.status_code == 200
    assert cancel.json()["status"] == "cancelled"
    assert Appointment.objects.get(pk=appointment_id).status == "cancelled"
    refund = Refund.objects.get(order_id=order_id)
    assert refund.amount == 3000
    assert PaymentOrder.objects.get(pk=order_id).amount == 3000
    after_cancel = api_client.get(
        reverse("api:scheduling:session-detail", args=[session.pk])
    )
    assert [s["remaining"] for s in after_cancel.json()["slots"]] == [5]


def test_health_says_the_cache_is_down_and_answers_200(
    redis_down, api_client, settings
):
    settings.BOOKING_PREDEDUCT = (
        False  # the stock's own part: tests/appointments/test_stock.py
    )
    response = api_client.get(reverse("health"))

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {
            "database": "ok",
            "cache": "down",
            "broker": "not_configured",
            "booking": "not_configured",
            "replica": "not_configured",
            "jobs": "not_configured",
        },
    }


def test_with_the_cache_down_the_database_enforces_the_daily_sms_cap(
    redis_down, api_client, sms_server, settings
):
    # given: no resend interval, two codes a day per phone, both sent
    settings.SMS_RESEND_INTERVAL_SECONDS = 0
    settings.SMS_DAILY_LIMIT_PER_PHONE = 2
    url = reverse("api:accounts:sms-send")
    for _ in range(2):
        assert api_client.post(url, {"phone": PHONE}, format="json").status_code == 200

    # when
    refused = api_client.post(url, {"phone": PHONE}, format="json")

    # then: refused, and nothing more was stored or texted
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "sms_daily_limit"
    assert SmsCode.objects.count() == 2
    assert len(sms_server.codes_sent_to(PHONE)) == 2


def test_with_the_cache_down_a_full_slot_is_still_refused(redis_down, api_client):
    # given: a slot with its last seat taken
    slot = SlotFactory(capacity=1, booked=1)
    profile = PatientProfileFactory()
    api_client.force_authenticate(profile.user)

    # when: booked twice (the sold-out flag cannot be stored, so both ask the database)
    answers = [
        api_client.post(
            reverse("api:appointments:book"),
            {"slot_id": slot.pk, "profile_id": profile.pk},
            format="json",
        )
        for _ in range(2)
    ]

    # then
    assert [a.status_code for a in answers] == [409, 409]
    assert {a.json()["error"]["code"] for a in answers} == {"slot_full"}
    assert Appointment.objects.exists() is False
    slot.refresh_from_db()
    assert slot.booked == 1


def test_the_redis_down_fixture_really_reaches_no_cache(redis_down):
    # A guard for the tests above: the cache they run with stores nothing.
    cache.set("probe", 1, 30)

    assert cache.get("probe") is None


def test_with_the_cache_down_wechat_messages_share_one_access_token(
    redis_down, wechat_server
):
    # given: the cache stores nothing, so the token lives only in this process

    # when: two subscribe messages are sent
    first = wechat.send_subscribe_message(
        openid="o-1", template_id="tmpl-1", data={"thing1": "复诊"}, page=""
    )
    second = wechat.send_subscribe_message(
        openid="o-2", template_id="tmpl-1", data={"thing1": "复诊"}, page=""
    )

    # then: both delivered, with one token fetched for both
    assert (first, second) == ("1001", "1002")
    assert len(wechat_server.subscribe_messages) == 2
    assert len(wechat_server.requests_to("/cgi-bin/token")) == 1


def test_with_the_cache_down_a_paid_cancel_answers_200_and_commits_its_refund(
    api_client, settings
):
    # given: an appointment paid through the dev channel while the cache worked
    settings.PAYMENTS_DEV_GATEWAY = True
    order = open_order(channel="dev", fee=3000)
    payment_order_dev_pay(order=order, actor=ACTOR)
    appointment = Appointment.objects.get(pk=order.appointment_id)
    seats_before = appointment.slot.booked
    api_client.force_authenticate(appointment.user)

    # when: the patient cancels through the API after the cache went away (the cancel's
    # after-commit work clears the slot's sold-out flag and bumps the availability version)
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{closed_port()}/0")
    response = api_client.post(
        reverse("api:appointments:cancel", args=[appointment.pk]), {}, format="json"
    )

    # then: 200, the appointment cancelled, its seat back, the fee refunded in full
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    appointment.slot.refresh_from_db()
    assert appointment.slot.booked == seats_before - 1
    refund = Refund.objects.get(order=order)
    assert refund.amount == 3000


@pytest.mark.concurrency
@needs_row_locks
def test_with_the_cache_down_concurrent_sends_to_one_phone_text_once(
    redis_down, sms_server, settings
):
    # given: a code sent to the phone longer ago than the resend interval
    sms_code_send(actor=Actor(ip="10.0.0.1"), phone=PHONE)
    SmsCode.objects.update(
        created_at=timezone.now()
        - datetime.timedelta(seconds=settings.SMS_RESEND_INTERVAL_SECONDS + 1)
    )

    # when: ten requests for a new code arrive at once, with no cache guard to stop them
    results = run_at_once(
        [
            lambda: sms_code_send(actor=Actor(ip="10.0.0.1"), phone=PHONE)
            for _ in range(10)
        ]
    )

    # then: the database lets one through
    outcomes = Counter(
        r.code if isinstance(r, DomainError) else type(r).__name__ for r in results
    )
    assert outcomes == {"SmsCode": 1, "sms_too_frequent": 9}
    assert SmsCode.objects.count() == 2
    assert len(sms_server.codes_sent_to(PHONE)) == 2

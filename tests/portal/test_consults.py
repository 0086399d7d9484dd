"""The portal's online consult pages (在线问诊): the doctor's page offers it, asking a
doctor, my consults, the conversation (send, the poll's fragment, recall, close, rate),
a paid consult awaiting payment, refusals on the page, other patients' ids 404, CSRF."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.models import PaymentOrder
from billing.services import wechatpay_notification_handle
from common.services import Actor
from consult.models import Consult, ConsultMessage
from consult.services.consults import consult_close
from consult.services.messages import message_send
from consult.services.offers import consult_offer_set
from consult.services.payment import consult_pay
from tests.accounts.factories import (
    PatientFactory,
    PatientProfileFactory,
    StaffFactory,
)
from tests.consult.factories import consult_for, offering_doctor
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db
S = Consult.Status
ACTOR = Actor.system()


@pytest.fixture
def profile():
    return PatientProfileFactory(name="张三")


@pytest.fixture
def client(profile) -> Client:
    return signed_in(profile.user)


@pytest.fixture
def doctor():
    return offering_doctor(reply_hours=12)


def _say(consult: Consult, sender: str, text: str) -> ConsultMessage:
    user = consult.doctor.user if sender == "doctor" else consult.user
    return message_send(
        actor=ACTOR, consult=consult, sender=sender, user=user, text=text
    )


# -- the doctor's page and asking ----------------------------------------------------------


def test_the_doctors_page_offers_a_consult_with_the_fee_and_reply_time():
    doctor = offering_doctor(fee=3000, reply_hours=12)

    body = Client().get(reverse("portal:doctor", args=[doctor.pk])).content.decode()

    assert reverse("portal:consult-start", args=[doctor.pk]) in body
    assert "Fee ¥30.00 per consult." in body
    assert "The doctor replies within 12 hours." in body


def test_a_doctor_without_an_enabled_offer_is_not_offered_and_answers_404(client):
    doctor = offering_doctor()
    consult_offer_set(
        actor=ACTOR, doctor=doctor, enabled=False, fee=0, daily_cap=5, reply_hours=24
    )
    start = reverse("portal:consult-start", args=[doctor.pk])

    page = client.get(reverse("portal:doctor", args=[doctor.pk])).content.decode()

    assert start not in page
    assert client.get(start).status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_to_ask(doctor):
    start = reverse("portal:consult-start", args=[doctor.pk])

    response = Client().get(start)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={start}"


def test_a_patient_asks_a_free_consult_and_lands_on_the_conversation(
    client, profile, doctor
):
    response = client.post(
        reverse("portal:consult-start", args=[doctor.pk]),
        {"profile": profile.pk, "problem": "咳嗽三天，夜间加重"},
    )

    consult = Consult.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:consult", args=[consult.pk])
    assert (consult.status, consult.profile, consult.doctor) == (
        S.WAITING,
        profile,
        doctor,
    )
    page = client.get(response["Location"]).content.decode()
    assert "Your consult was sent to the doctor." in page
    assert "咳嗽三天，夜间加重" in page
    assert "Reply by" in page


def test_asking_without_a_problem_or_for_someone_elses_profile_is_refused(
    client, profile, doctor
):
    url = reverse("portal:consult-start", args=[doctor.pk])
    other = PatientProfileFactory()

    empty = client.post(url, {"profile": profile.pk, "problem": ""})
    foreign = client.post(url, {"profile": other.pk, "problem": "头痛"})

    assert empty.status_code == 400
    assert "This field is required." in empty.content.decode()
    assert foreign.status_code == 400  # not among the patient's choices
    assert Consult.objects.count() == 0


def test_the_doctors_daily_cap_is_shown_on_the_form_with_409(client, profile):
    doctor = offering_doctor(daily_cap=1)
    consult_for(doctor=doctor)

    response = client.post(
        reverse("portal:consult-start", args=[doctor.pk]),
        {"profile": profile.pk, "problem": "头痛"},
    )

    assert response.status_code == 409
    assert (
        "This doctor takes no more online consults today." in response.content.decode()
    )
    assert Consult.objects.count() == 1


def test_a_patient_without_a_profile_is_asked_to_add_one_first(doctor):
    client = signed_in(PatientFactory())

    body = client.get(
        reverse("portal:consult-start", args=[doctor.pk])
    ).content.decode()

    start = reverse("portal:consult-start", args=[doctor.pk])
    assert f"{reverse('portal:profile-add')}?next={start}" in body
    assert "Send the consult" not in body


# -- my consults ----------------------------------------------------------------------------


def test_my_consults_lists_only_mine_newest_first_with_their_status(
    client, profile, doctor
):
    first = consult_for(doctor=doctor, profile=profile, problem="头痛")
    paid = consult_for(doctor=offering_doctor(fee=2000), profile=profile)
    theirs = consult_for(doctor=doctor)

    response = client.get(reverse("portal:consults"))

    assert [c.pk for c in response.context["page"]] == [paid.pk, first.pk]
    body = response.content.decode()
    assert reverse("portal:consult", args=[theirs.pk]) not in body
    assert "awaiting payment" in body
    assert "To pay ¥20.00" in body


def test_my_consults_has_pages(client, profile):
    doctor = offering_doctor(daily_cap=30)
    for _ in range(21):
        consult_for(doctor=doctor, profile=profile)

    first = client.get(reverse("portal:consults"))
    second = client.get(reverse("portal:consults"), {"page": 2})

    assert len(first.context["page"]) == 20
    assert "Page 1 of 2" in first.content.decode()
    assert len(second.context["page"]) == 1


# -- the conversation -----------------------------------------------------------------------


def test_the_conversation_shows_the_messages_in_order(client, profile, doctor):
    consult = consult_for(doctor=doctor, profile=profile)
    _say(consult, "patient", "第一句")
    _say(consult, "doctor", "第二句")
    _say(consult, "patient", "第三句")

    response = client.get(reverse("portal:consult", args=[consult.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("第一句") < body.index("第二句") < body.index("第三句")
    assert response.context["last_id"] == ConsultMessage.objects.last().pk
    # The poll every 4 s pauses while the socket is live (static/consult/live.js).
    assert (
        'hx-trigger="every 4s [!window.consultLive], consult-sent from:body, '
        'consult-live from:body"'
    ) in body
    assert f'data-socket="/ws/consult/{consult.pk}/"' in body
    assert "consult/live.js" in body


def test_sending_a_message_without_javascript_redirects_back(client, profile, doctor):
    consult = consult_for(doctor=doctor, profile=profile)

    response = client.post(
        reverse("portal:consult-send", args=[consult.pk]), {"text": "  有点发烧  "}
    )

    assert response.status_code == 302
    assert (
        response["Location"] == reverse("portal:consult", args=[consult.pk]) + "#send"
    )
    message = ConsultMessage.objects.get()
    assert (message.sender, message.text, message.sender_user) == (
        "patient",
        "有点发烧",
        profile.user,
    )


def test_sending_with_htmx_answers_an_empty_form_and_the_poll_event(
    client, profile, doctor
):
    consult = consult_for(doctor=doctor, profile=profile)

    response = client.post(
        reverse("portal:consult-send", args=[consult.pk]),
        {"text": "有点发烧"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "consult-sent"
    body = response.content.decode()
    assert body.startswith("<form")
    assert "有点发烧" not in body
    assert ConsultMessage.objects.count() == 1


def test_an_empty_or_too_long_message_is_refused_on_the_page(client, profile, doctor):
    consult = consult_for(doctor=doctor, profile=profile)
    url = reverse("portal:consult-send", args=[consult.pk])

    empty = client.post(url, {"text": "   "})
    long = client.post(url, {"text": "字" * 2001}, headers={"HX-Request": "true"})

    assert empty.status_code == 400
    assert "A message cannot be empty." in empty.content.decode()
    assert "Consult with" in empty.content.decode()  # the whole page again
    assert long.status_code == 400
    assert "A message has at most 2000 characters." in long.content.decode()
    assert long.content.decode().startswith("<form")  # the form only, for htmx
    assert "字" * 2001 in long.content.decode()  # what was typed is kept
    assert ConsultMessage.objects.count() == 0


def test_a_closed_consult_refuses_messages_with_409(client, profile, doctor):
    consult = consult_for(doctor=doctor, profile=profile)
    consult_close(actor=ACTOR, consult=consult, by="doctor")

    response = client.post(
        reverse("portal:consult-send", args=[consult.pk]), {"text": "还在吗"}
    )

    assert response.status_code == 409
    assert "This consult is not open for messages." in response.content.decode()
    assert ConsultMessage.objects.count() == 0


def test_the_poll_answers_the_messages_after_the_cursor_and_the_new_cursor(
    client, profile, doctor
):
    consult = consult_for(doctor=doctor, profile=profile)
    seen = _say(consult, "patient", "早上好")
    reply = _say(consult, "doctor", "请描述症状")
    url = reverse("portal:consult-messages", args=[consult.pk])

    response = client.get(url, {"after": seen.pk, "status": "waiting"})
    nothing_new = client.get(url, {"after": reply.pk, "status": "in_progress"})

    body = response.content.decode()
    assert response.status_code == 200
    assert "请描述症状" in body
    assert "早上好" not in body
    assert f'id="cursor" name="after" value="{reply.pk}" hx-swap-oob="true"' in body
    assert "in progress" in body  # the status, swapped out of band
    assert f'value="{reply.pk}"' in nothing_new.content.decode()
    assert "<li" not in nothing_new.content.decode()


def test_the_poll_reloads_the_page_when_the_consult_is_closed(client, profile, doctor):
    consult = consult_for(doctor=doctor, profile=profile)
    consult_close(actor=ACTOR, consult=consult, by="doctor")

    response = client.get(
        reverse("portal:consult-messages", args=[consult.pk]),
        {"after": 0, "status": "waiting"},
    )

    assert response["HX-Refresh"] == "true"


def test_the_poll_refuses_a_bad_cursor(client, profile, doctor):
    consult = consult_for(doctor=doctor, profile=profile)
    url = reverse("portal:consult-messages", args=[consult.pk])

    assert client.get(url, {"after": "x"}).status_code == 400
    assert client.get(url).status_code == 400


def test_a_patient_recalls_their_message_within_two_minutes_only(
    client, profile, doctor
):
    consult = consult_for(doctor=doctor, profile=profile)
    fresh = _say(consult, "patient", "发错了")
    page = client.get(reverse("portal:consult", args=[consult.pk])).content.decode()
    assert reverse("portal:consult-recall", args=[fresh.pk]) in page

    response = client.post(reverse("portal:consult-recall", args=[fresh.pk]))

    assert response.status_code == 302
    fresh.refresh_from_db()
    assert fresh.recalled_at is not None
    page = client.get(response["Location"]).content.decode()
    assert "This message was recalled." in page
    assert "发错了" not in page

    old = _say(consult, "patient", "旧消息")
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=3)):
        page = client.get(reverse("portal:consult", args=[consult.pk]))
        late = client.post(reverse("portal:consult-recall", args=[old.pk]))
    assert reverse("portal:consult-recall", args=[old.pk]) not in (
        page.content.decode()
    )
    assert late.status_code == 409
    assert "A message can be recalled only within 2 minutes." in late.content.decode()


def test_the_doctors_message_cannot_be_recalled_by_the_patient(client, profile, doctor):
    consult = consult_for(doctor=doctor, profile=profile)
    reply = _say(consult, "doctor", "多喝水")

    response = client.post(reverse("portal:consult-recall", args=[reply.pk]))

    assert response.status_code == 404
    reply.refresh_from_db()
    assert reply.recalled_at is None


def test_the_patient_closes_then_rates_once(client, profile, doctor):
    consult = consult_for(doctor=doctor, profile=profile)
    _say(consult, "doctor", "多喝水")

    closed = client.post(reverse("portal:consult-close", args=[consult.pk]))
    page = client.get(closed["Location"]).content.decode()
    rated = client.post(
        reverse("portal:consult-rate", args=[consult.pk]),
        {"stars": "5", "comment": "很耐心"},
    )
    again = client.post(
        reverse("portal:consult-rate", args=[consult.pk]), {"stars": "1"}
    )

    consult.refresh_from_db()
    assert closed.status_code == 302
    assert "The consult was closed." in page
    assert "Rate the consult" in page
    assert rated.status_code == 302
    assert (consult.status, consult.stars, consult.rating_comment) == (
        S.RATED,
        5,
        "很耐心",
    )
    assert again.status_code == 409
    assert "This consult is already rated." in again.content.decode()
    assert "5 stars" in again.content.decode()


def test_a_rating_needs_stars_from_1_to_5(client, profile, doctor):
    consult = consult_for(doctor=doctor, profile=profile)
    consult_close(actor=ACTOR, consult=consult, by="patient")
    url = reverse("portal:consult-rate", args=[consult.pk])

    statuses = [client.post(url, {"stars": s}).status_code for s in ("", "0", "6")]
    open_one = consult_for(doctor=doctor, profile=profile)
    too_early = client.post(
        reverse("portal:consult-rate", args=[open_one.pk]), {"stars": "4"}
    )

    assert statuses == [400, 400, 400]
    assert too_early.status_code == 409
    assert "Only a closed consult can be rated." in too_early.content.decode()
    consult.refresh_from_db()
    assert consult.stars is None


def test_closing_twice_shows_the_refusal(client, profile, doctor):
    consult = consult_for(doctor=doctor, profile=profile)
    consult_close(actor=ACTOR, consult=consult, by="doctor")

    response = client.post(reverse("portal:consult-close", args=[consult.pk]))

    assert response.status_code == 409
    assert "This consult is not open." in response.content.decode()


def test_a_paid_consult_shows_the_amount_and_the_payment_methods(
    client, profile, dev_gateway
):
    consult = consult_for(doctor=offering_doctor(fee=2500), profile=profile)

    body = client.get(reverse("portal:consult", args=[consult.pk])).content.decode()

    assert consult.status == S.AWAITING_PAYMENT
    assert "awaiting payment" in body
    assert "¥25.00" in body
    assert reverse("portal:consult-pay", args=[consult.pk]) in body
    assert 'value="dev"' in body
    assert 'name="text"' not in body  # no messages before it is paid
    assert "Withdraw the consult" in body


def test_a_paid_consult_paid_through_the_dev_gateway_turns_waiting(
    client, profile, dev_gateway
):
    consult = consult_for(
        doctor=offering_doctor(fee=2500, reply_hours=12), profile=profile
    )

    response = client.post(
        reverse("portal:consult-pay", args=[consult.pk]), {"channel": "dev"}
    )

    order = PaymentOrder.objects.get()
    assert (order.kind, order.ref_id, order.amount) == ("consult", consult.pk, 2500)
    assert order.scene == PaymentOrder.Scene.WEB
    assert response.status_code == 302
    assert response.url == reverse("portal:dev-pay", args=[order.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    assert "¥25.00" in page.content.decode()

    paid = client.post(response.url)

    assert paid.status_code == 302
    assert paid.url == reverse("portal:consult", args=[consult.pk])
    consult.refresh_from_db()
    order.refresh_from_db()
    assert consult.status == S.WAITING
    assert order.status == PaymentOrder.Status.PAID
    assert consult.reply_deadline == order.paid_at + datetime.timedelta(hours=12)
    body = client.get(paid.url).content.decode()
    assert 'name="text"' in body
    assert reverse("portal:consult-pay", args=[consult.pk]) not in body


def test_paying_twice_reuses_the_open_order(client, profile, dev_gateway):
    consult = consult_for(doctor=offering_doctor(fee=2500), profile=profile)
    url = reverse("portal:consult-pay", args=[consult.pk])

    first = client.post(url, {"channel": "dev"})
    second = client.post(url, {"channel": "dev"})

    assert first.url == second.url
    assert PaymentOrder.objects.count() == 1


def test_paying_a_free_or_already_paid_consult_is_refused_on_the_page(
    client, profile, doctor, dev_gateway
):
    consult = consult_for(doctor=doctor, profile=profile)  # free: waiting at once

    response = client.post(
        reverse("portal:consult-pay", args=[consult.pk]), {"channel": "dev"}
    )

    assert response.status_code == 409
    assert "This consult is not awaiting payment." in response.content.decode()
    assert PaymentOrder.objects.count() == 0


def test_paying_with_an_unknown_channel_is_refused(client, profile, dev_gateway):
    consult = consult_for(doctor=offering_doctor(fee=2500), profile=profile)

    response = client.post(
        reverse("portal:consult-pay", args=[consult.pk]), {"channel": "cash"}
    )

    assert response.status_code == 400
    assert PaymentOrder.objects.count() == 0


def test_someone_elses_consult_and_its_order_answer_404(client, dev_gateway):
    theirs = consult_for(doctor=offering_doctor(fee=2500))
    order = consult_pay(
        consult=theirs, channel="dev", scene=PaymentOrder.Scene.WEB, actor=ACTOR
    )

    statuses = [
        client.post(
            reverse("portal:consult-pay", args=[theirs.pk]), {"channel": "dev"}
        ).status_code,
        client.get(reverse("portal:dev-pay", args=[order.pk])).status_code,
        client.post(reverse("portal:dev-pay", args=[order.pk])).status_code,
        client.get(reverse("portal:wechat-pay", args=[order.pk])).status_code,
    ]

    assert statuses == [404] * 4
    order.refresh_from_db()
    theirs.refresh_from_db()
    assert (order.status, theirs.status) == (
        PaymentOrder.Status.CREATED,
        S.AWAITING_PAYMENT,
    )
    assert PaymentOrder.objects.count() == 1


def test_a_consult_paid_by_scanning_the_wechat_qr_returns_to_the_conversation(
    client, profile, wechatpay
):
    consult = consult_for(doctor=offering_doctor(fee=2500), profile=profile)

    response = client.post(
        reverse("portal:consult-pay", args=[consult.pk]), {"channel": "wechat"}
    )

    order = PaymentOrder.objects.get()
    assert response.url == reverse("portal:wechat-pay", args=[order.pk])
    page = client.get(response.url).content.decode()
    assert "<svg" in page
    assert reverse("portal:consult", args=[consult.pk]) in page
    headers, body = wechatpay.notification(
        wechatpay.pay(order.out_trade_no, total=order.amount)
    )
    wechatpay_notification_handle(headers=headers, body=body, actor=ACTOR)
    again = client.get(reverse("portal:wechat-pay", args=[order.pk]))
    assert again.url == reverse("portal:consult", args=[consult.pk])
    consult.refresh_from_db()
    assert consult.status == S.WAITING


# -- who sees what --------------------------------------------------------------------------


def test_another_patients_consult_and_message_answer_404(client, doctor):
    theirs = consult_for(doctor=doctor)
    message = _say(theirs, "patient", "我的隐私")
    gets = [
        reverse("portal:consult", args=[theirs.pk]),
        reverse("portal:consult-messages", args=[theirs.pk]) + "?after=0",
    ]
    posts = [
        (reverse("portal:consult-send", args=[theirs.pk]), {"text": "hi"}),
        (reverse("portal:consult-close", args=[theirs.pk]), {}),
        (reverse("portal:consult-rate", args=[theirs.pk]), {"stars": "5"}),
        (reverse("portal:consult-recall", args=[message.pk]), {}),
    ]

    statuses = [client.get(url).status_code for url in gets]
    statuses += [client.post(url, data).status_code for url, data in posts]

    assert statuses == [404] * 6
    theirs.refresh_from_db()
    assert theirs.status == S.WAITING
    assert ConsultMessage.objects.count() == 1


def test_staff_and_doctors_are_refused_the_patient_consult_pages(doctor):
    consult = consult_for(doctor=doctor)
    url = reverse("portal:consult", args=[consult.pk])

    assert signed_in(StaffFactory()).get(url).status_code == 403
    assert signed_in(doctor.user).get(url).status_code == 403


def test_every_consult_write_needs_the_csrf_token(profile, doctor):
    consult = consult_for(doctor=doctor, profile=profile)
    message = _say(consult, "patient", "你好")
    client = Client(enforce_csrf_checks=True)
    client.force_login(profile.user)
    writes = [
        (
            reverse("portal:consult-start", args=[doctor.pk]),
            {"profile": profile.pk, "problem": "头痛"},
        ),
        (reverse("portal:consult-send", args=[consult.pk]), {"text": "在吗"}),
        (reverse("portal:consult-recall", args=[message.pk]), {}),
        (reverse("portal:consult-close", args=[consult.pk]), {}),
        (reverse("portal:consult-rate", args=[consult.pk]), {"stars": "5"}),
    ]

    statuses = [client.post(url, data).status_code for url, data in writes]

    assert statuses == [403] * len(writes)
    assert Consult.objects.count() == 1
    assert ConsultMessage.objects.count() == 1
    consult.refresh_from_db()
    message.refresh_from_db()
    assert (consult.status, message.recalled_at) == (S.WAITING, None)

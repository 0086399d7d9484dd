"""The consult WebSocket (consult/consumers.py) through the project's ASGI application:
who may open it, the frames both parties hear, sends over the socket and over REST.

Each test runs its whole conversation in one event loop (`async_to_sync(scenario)()`, no
pytest-asyncio), with the database writes on the test's thread (sync_to_async), committed
(transactional tests), so the frames leave after commit as in production. Every test runs
on the in-memory channel layer, and again on Redis pub/sub when REDIS_URL is set.
"""

import datetime
import logging

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.services.tokens import user_logout, user_tokens_issue
from common.services import Actor
from config.asgi import application
from consult.consumers import ConsultConsumer
from consult.models import Consult, ConsultMessage
from consult.services.consults import overdue_consults_cancel
from consult.services.messages import message_send
from consult.services.reports import message_hide
from tests.accounts.factories import PatientProfileFactory
from tests.consult.factories import BASE, consult_for, offering_doctor
from tests.records.factories import doctor_with_login
from tests.records.helpers import client_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("channel_layer"),
]

FRAME_TIMEOUT = 5


def access_for(user) -> str:
    return user_tokens_issue(user=user)["access"]


def socket(
    consult_id: int, token: str | None = None, **headers
) -> WebsocketCommunicator:
    """A client of ws/consult/<id>/; with `token`, it sends it as the Authorization header."""
    pairs = [(name.encode(), value.encode()) for name, value in headers.items()]
    if token is not None:
        pairs.append((b"authorization", f"Bearer {token}".encode()))
    return WebsocketCommunicator(application, f"/ws/consult/{consult_id}/", pairs)


async def opened(communicator: WebsocketCommunicator) -> WebsocketCommunicator:
    connected, _ = await communicator.connect(timeout=FRAME_TIMEOUT)
    assert connected
    return communicator


async def ready(communicator: WebsocketCommunicator) -> WebsocketCommunicator:
    await opened(communicator)
    assert await frame(communicator) == {"type": "ready"}
    return communicator


async def frame(communicator: WebsocketCommunicator) -> dict:
    return await communicator.receive_json_from(timeout=FRAME_TIMEOUT)


async def close_code(communicator: WebsocketCommunicator) -> int:
    output = await communicator.receive_output(timeout=FRAME_TIMEOUT)
    assert output["type"] == "websocket.close", output
    await communicator.disconnect()  # the client answers the close; the consumer ends
    return output["code"]


def run(scenario) -> None:
    async_to_sync(scenario)()


@pytest.fixture
def world():
    doctor = offering_doctor()
    profile = PatientProfileFactory()
    consult = consult_for(doctor=doctor, profile=profile)
    return consult, profile.user, doctor.user


def test_the_patients_message_reaches_the_doctors_socket_and_the_reply_the_patients(
    world,
):
    consult, patient, doctor = world
    patient_token, doctor_token = access_for(patient), access_for(doctor)

    async def scenario():
        at_patient = await ready(socket(consult.pk, patient_token))
        at_doctor = await ready(socket(consult.pk, doctor_token))

        await at_patient.send_json_to({"type": "send", "text": "  夜里咳得厉害 "})
        for communicator in (at_patient, at_doctor):
            got = await frame(communicator)
            assert got["type"] == "message"
            assert got["message"]["sender"] == "patient"
            assert got["message"]["text"] == "夜里咳得厉害"
            assert got["message"]["recalled"] is False

        await at_doctor.send_json_to({"type": "send", "text": "多喝水，测体温"})
        for communicator in (at_patient, at_doctor):
            got = await frame(communicator)
            assert got["type"] == "message"
            assert got["message"]["sender"] == "doctor"
            assert got["message"]["text"] == "多喝水，测体温"
            # The doctor's first reply starts the consult: its status follows.
            assert await frame(communicator) == {
                "type": "consult",
                "consult": {"id": consult.pk, "status": "in_progress"},
            }
        for communicator in (at_patient, at_doctor):
            assert await communicator.receive_nothing(timeout=0.2)
            await communicator.disconnect()

    run(scenario)

    texts = [(m.sender, m.text) for m in ConsultMessage.objects.filter(consult=consult)]
    assert texts == [("patient", "夜里咳得厉害"), ("doctor", "多喝水，测体温")]
    assert Consult.objects.get(pk=consult.pk).status == Consult.Status.IN_PROGRESS


def test_a_message_sent_and_recalled_over_rest_reaches_both_sockets(world):
    consult, patient, doctor = world
    patient_token, doctor_token = access_for(patient), access_for(doctor)
    rest = client_for(patient)

    async def scenario():
        # The browser's way in: the token in the first frame.
        at_patient = await opened(socket(consult.pk))
        await at_patient.send_json_to({"type": "auth", "token": patient_token})
        assert await frame(at_patient) == {"type": "ready"}
        at_doctor = await ready(socket(consult.pk, doctor_token))

        sent = await sync_to_async(rest.post)(
            f"{BASE}{consult.pk}/messages/send/", {"text": "有点发烧"}, format="json"
        )
        assert sent.status_code == 201
        message_id = sent.json()["id"]
        for communicator in (at_patient, at_doctor):
            assert await frame(communicator) == {
                "type": "message",
                "message": sent.json(),
            }

        recalled = await sync_to_async(rest.post)(
            f"{BASE}messages/{message_id}/recall/"
        )
        assert recalled.status_code == 200
        for communicator in (at_patient, at_doctor):
            assert await frame(communicator) == {
                "type": "recalled",
                "message_id": message_id,
            }
            await communicator.disconnect()

    run(scenario)


def test_a_status_changed_by_a_sweep_or_a_close_reaches_the_sockets(world):
    consult, _patient, doctor = world
    doctor_token = access_for(doctor)

    async def scenario():
        at_doctor = await ready(socket(consult.pk, doctor_token))
        await sync_to_async(Consult.objects.filter(pk=consult.pk).update)(
            reply_deadline=timezone.now() - datetime.timedelta(minutes=1)
        )
        assert await sync_to_async(overdue_consults_cancel)() == 1
        assert await frame(at_doctor) == {
            "type": "consult",
            "consult": {"id": consult.pk, "status": "cancelled"},
        }
        await at_doctor.disconnect()

    run(scenario)

    other = consult_for(doctor=Consult.objects.get(pk=consult.pk).doctor)
    other_token = access_for(other.user)
    other_rest = client_for(other.user)

    async def closing():
        at_patient = await ready(socket(other.pk, other_token))
        closed = await sync_to_async(other_rest.post)(f"{BASE}{other.pk}/close/")
        assert closed.status_code == 200
        assert await frame(at_patient) == {
            "type": "consult",
            "consult": {"id": other.pk, "status": "closed"},
        }
        await at_patient.disconnect()

    run(closing)


def test_a_payment_and_a_staff_hide_reach_the_sockets(settings):
    # given: a paid consult awaiting payment, its patient's socket open
    settings.PAYMENTS_DEV_GATEWAY = True
    consult = consult_for(doctor=offering_doctor(fee=3000))
    patient = client_for(consult.user)
    order_id = patient.post(
        f"{BASE}{consult.pk}/pay/", {"channel": "dev"}, format="json"
    ).json()["id"]
    token = access_for(consult.user)

    async def scenario():
        at_patient = await ready(socket(consult.pk, token))

        # when: paid through the dev gateway
        paid = await sync_to_async(patient.post)(
            f"/api/v1/billing/orders/{order_id}/dev-pay/"
        )
        assert paid.status_code == 200
        # then: the consult waits for the doctor, at once on the socket
        assert await frame(at_patient) == {
            "type": "consult",
            "consult": {"id": consult.pk, "status": "waiting"},
        }

        # when: staff hide a message after a report
        message = await sync_to_async(message_send)(
            actor=Actor(user=consult.user),
            consult=await sync_to_async(Consult.objects.get)(pk=consult.pk),
            sender="patient",
            user=consult.user,
            text="加我微信",
        )
        assert (await frame(at_patient))["type"] == "message"
        await sync_to_async(message_hide)(
            actor=Actor.system(), message=message, reason="report: spam"
        )
        # then: the sockets take it away as a recall
        assert await frame(at_patient) == {"type": "recalled", "message_id": message.pk}
        await at_patient.disconnect()

    run(scenario)


def test_a_party_with_the_consult_open_is_not_notified_of_a_message(world):
    # given: the doctor has the consult open on a socket
    consult, patient, doctor = world
    rest = client_for(patient)
    doctor_token = access_for(doctor)

    def doctor_notices() -> int:
        return doctor.notifications.filter(event="consult_message").count()

    async def scenario():
        at_doctor = await ready(socket(consult.pk, doctor_token))

        # when: the patient writes
        sent = await sync_to_async(rest.post)(
            f"{BASE}{consult.pk}/messages/send/", {"text": "还在吗"}, format="json"
        )
        assert sent.status_code == 201
        assert (await frame(at_doctor))["type"] == "message"
        # then: seen live, not notified
        assert await sync_to_async(doctor_notices)() == 0

        # when: the doctor closes the screen, and the patient writes again
        await at_doctor.disconnect()
        again = await sync_to_async(rest.post)(
            f"{BASE}{consult.pk}/messages/send/", {"text": "医生？"}, format="json"
        )
        assert again.status_code == 201
        # then: notified now (the throttle's window was not started by the first)
        assert await sync_to_async(doctor_notices)() == 1

    run(scenario)


def test_a_send_the_rules_refuse_comes_back_as_the_rest_error_body(world):
    consult, patient, _doctor = world
    token = access_for(patient)
    rest = client_for(patient)

    async def scenario():
        at_patient = await ready(socket(consult.pk, token))
        await at_patient.send_json_to({"type": "send", "text": "   "})
        got = await frame(at_patient)
        assert got["type"] == "error"
        assert got["error"]["code"] == "consult_message_empty"
        assert got["error"]["fields"] == {"text": ["A message cannot be empty."]}

        await at_patient.send_json_to({"type": "send"})
        got = await frame(at_patient)
        assert got["error"]["code"] == "invalid"
        assert set(got["error"]["fields"]) == {"text"}

        await at_patient.send_json_to({"type": "typing"})
        got = await frame(at_patient)
        assert got["error"]["code"] == "invalid"

        await at_patient.send_to(text_data="not json")
        assert (await frame(at_patient))["error"]["code"] == "invalid"

        await sync_to_async(rest.post)(f"{BASE}{consult.pk}/close/")
        assert (await frame(at_patient))["type"] == "consult"
        await at_patient.send_json_to({"type": "send", "text": "还在吗"})
        got = await frame(at_patient)
        assert got["error"]["code"] == "consult_not_open"
        assert await at_patient.receive_nothing(timeout=0.2)
        await at_patient.disconnect()

    run(scenario)
    assert not ConsultMessage.objects.filter(consult=consult).exists()


def test_another_patients_consult_or_an_unknown_one_closes_with_4404(world):
    consult, _patient, _doctor = world
    other_patient = PatientProfileFactory().user
    token = access_for(other_patient)

    async def scenario():
        assert await close_code(await opened(socket(consult.pk, token))) == 4404
        assert await close_code(await opened(socket(consult.pk + 1000, token))) == 4404
        # The same through the first frame.
        communicator = await opened(socket(consult.pk))
        await communicator.send_json_to({"type": "auth", "token": token})
        assert await close_code(communicator) == 4404

    run(scenario)


def test_a_doctor_the_consult_is_not_addressed_to_gets_4404(world):
    consult, _patient, _doctor = world
    colleague = doctor_with_login(hospital=consult.doctor.hospital)
    token = access_for(colleague.user)

    async def scenario():
        assert await close_code(await opened(socket(consult.pk, token))) == 4404

    run(scenario)


def test_a_bad_missing_expired_or_logged_out_token_closes_with_4401(world, monkeypatch):
    consult, patient, _doctor = world
    issued = user_tokens_issue(user=patient)
    user_logout(actor=Actor(user=patient), refresh=issued["refresh"])
    refresh_only = user_tokens_issue(user=patient)["refresh"]
    expired = AccessToken.for_user(patient)
    expired.set_exp(lifetime=-datetime.timedelta(seconds=1))
    monkeypatch.setattr(ConsultConsumer, "AUTH_TIMEOUT_SECONDS", 0.3)

    async def scenario():
        for token in ("not-a-jwt", issued["access"], refresh_only, str(expired)):
            assert await close_code(await opened(socket(consult.pk, token))) == 4401
        basic = socket(consult.pk, authorization="Basic dXNlcjpwYXNz")
        assert await close_code(await opened(basic)) == 4401

        communicator = await opened(socket(consult.pk))
        await communicator.send_json_to({"type": "auth", "token": "not-a-jwt"})
        assert await close_code(communicator) == 4401

        communicator = await opened(socket(consult.pk))
        await communicator.send_json_to({"type": "send", "text": "先发消息"})
        assert await close_code(communicator) == 4401

        silent = await opened(socket(consult.pk))  # never sends its token
        assert await close_code(silent) == 4401

    run(scenario)
    assert not ConsultMessage.objects.filter(consult=consult).exists()


def test_the_socket_closes_with_4401_when_its_token_expires(world):
    consult, patient, _doctor = world
    short = AccessToken.for_user(patient)
    short.set_exp(lifetime=datetime.timedelta(seconds=2))

    async def scenario():
        communicator = await ready(socket(consult.pk, str(short)))
        assert await close_code(communicator) == 4401

    run(scenario)


def test_a_browser_page_of_another_site_cannot_open_the_socket(world):
    consult, patient, _doctor = world
    token = access_for(patient)

    async def scenario():
        foreign = socket(consult.pk, token, origin="https://evil.example")
        connected, _ = await foreign.connect(timeout=FRAME_TIMEOUT)
        assert not connected
        # Our own pages (a host of ALLOWED_HOSTS) and clients without Origin pass.
        own = await ready(socket(consult.pk, token, origin="http://testserver"))
        await own.disconnect()

    run(scenario)


def test_a_channel_layer_that_fails_does_not_fail_the_write(world, monkeypatch, caplog):
    consult, patient, _doctor = world

    async def broken(*args, **kwargs):
        raise ConnectionError("channel layer down")

    from channels.layers import get_channel_layer

    monkeypatch.setattr(get_channel_layer(), "group_send", broken)
    with caplog.at_level(logging.WARNING, logger="consult.realtime"):
        sent = client_for(patient).post(
            f"{BASE}{consult.pk}/messages/send/", {"text": "有点发烧"}, format="json"
        )
    assert sent.status_code == 201
    assert ConsultMessage.objects.filter(pk=sent.json()["id"]).exists()
    assert "live frame not sent" in caplog.text

"""The consult WebSocket for the portal's and the workspace's pages: authenticated by the
Django session cookie, only from a handshake with an allowed Origin (a cross-site page
with a visitor's cookie is refused; a client without Origin never rides on the cookie)."""

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.asgi import application
from consult.consumers import ConsultConsumer
from tests.accounts.factories import PatientProfileFactory
from tests.consult.factories import consult_for, offering_doctor
from tests.consult.test_consumers import close_code, frame, opened, ready, run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("channel_layer"),
]

OWN = "http://testserver"


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def socket(consult_id: int, *, cookie: str | None, origin: str | None):
    headers = []
    if cookie is not None:
        headers.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return WebsocketCommunicator(application, f"/ws/consult/{consult_id}/", headers)


@pytest.fixture
def world():
    doctor = offering_doctor()
    profile = PatientProfileFactory()
    return consult_for(doctor=doctor, profile=profile), profile.user, doctor


def test_a_patients_session_from_our_page_is_ready_and_hears_the_messages(world):
    consult, patient, doctor = world
    cookie = session_cookie(patient)

    async def scenario():
        communicator = await ready(socket(consult.pk, cookie=cookie, origin=OWN))
        await communicator.send_json_to({"type": "send", "text": "在吗"})
        got = await frame(communicator)
        assert got["type"] == "message"
        assert got["message"]["sender"] == "patient"
        await communicator.disconnect()

    run(scenario)


def test_a_doctors_session_that_passed_the_admin_is_ready(world, settings):
    settings.STAFF_REQUIRE_OTP = False
    consult, _patient, doctor = world
    cookie = session_cookie(doctor.user)

    async def scenario():
        communicator = await ready(socket(consult.pk, cookie=cookie, origin=OWN))
        await communicator.disconnect()

    run(scenario)


def test_a_doctors_session_without_the_second_factor_is_refused(
    world, settings, monkeypatch
):
    settings.STAFF_REQUIRE_OTP = True
    monkeypatch.setattr(ConsultConsumer, "AUTH_TIMEOUT_SECONDS", 0.3)
    consult, _patient, doctor = world
    cookie = session_cookie(doctor.user)

    async def scenario():
        communicator = await opened(socket(consult.pk, cookie=cookie, origin=OWN))
        assert await close_code(communicator) == 4401

    run(scenario)


def test_a_doctors_session_with_the_second_factor_passed_is_ready(world, settings):
    settings.STAFF_REQUIRE_OTP = True
    consult, _patient, doctor = world
    device = TOTPDevice.objects.create(user=doctor.user, name="phone", confirmed=True)
    client = Client()
    client.force_login(doctor.user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    async def scenario():
        communicator = await ready(socket(consult.pk, cookie=cookie, origin=OWN))
        await communicator.disconnect()

    run(scenario)


def test_no_session_is_4401_once_no_token_came(world, monkeypatch):
    monkeypatch.setattr(ConsultConsumer, "AUTH_TIMEOUT_SECONDS", 0.3)
    consult, _patient, _doctor = world

    async def scenario():
        for cookie in (None, "not-a-session"):
            communicator = await opened(socket(consult.pk, cookie=cookie, origin=OWN))
            assert await close_code(communicator) == 4401

    run(scenario)


def test_someone_elses_consult_is_4404_with_a_session(world):
    consult, _patient, _doctor = world
    cookie = session_cookie(PatientProfileFactory().user)

    async def scenario():
        communicator = await opened(socket(consult.pk, cookie=cookie, origin=OWN))
        assert await close_code(communicator) == 4404

    run(scenario)


def test_a_cross_site_origin_with_a_valid_session_cookie_is_refused(world):
    consult, patient, _doctor = world
    cookie = session_cookie(patient)

    async def scenario():
        communicator = socket(consult.pk, cookie=cookie, origin="https://evil.example")
        connected, _ = await communicator.connect(timeout=5)
        assert not connected
        await communicator.disconnect()

    run(scenario)


def test_a_handshake_without_origin_never_rides_on_the_cookie(world, monkeypatch):
    monkeypatch.setattr(ConsultConsumer, "AUTH_TIMEOUT_SECONDS", 0.3)
    consult, patient, _doctor = world
    cookie = session_cookie(patient)

    async def scenario():
        communicator = await opened(socket(consult.pk, cookie=cookie, origin=None))
        assert await close_code(communicator) == 4401

    run(scenario)

"""The consult socket through a real ASGI server: daphne in its own process serving
config.asgi:application, and a real WebSocket client (websockets), patient and doctor
talking both ways, and a REST message reaching both.

The server opens the test database from its own process, so it needs one it can reach: on
MariaDB/MySQL (as CI runs) it does; SQLite's test database lives in this process's memory,
so the test is skipped there (as channels' ChannelsLiveServerTestCase refuses it). With
REDIS_URL set the server's channel layer is Redis pub/sub, otherwise in memory.
"""

import asyncio
import json
import os
from urllib.parse import quote

import pytest
import websockets
from django.db import connection
from django.test import Client

from accounts.services.tokens import user_tokens_issue
from benchmarks.consult_ws.server import daphne_start, daphne_stop, free_port
from consult.models import ConsultMessage
from tests.accounts.factories import PatientProfileFactory
from tests.consult.factories import consult_for, offering_doctor

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="the server process needs a database it can open (MariaDB/MySQL)",
    ),
]


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return (
        f"mysql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 3306}/{db['NAME']}"
    )


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1"}
    process = daphne_start(port=port, env=env, log_path=tmp_path / "daphne.log")
    yield f"127.0.0.1:{port}"
    daphne_stop(process)


async def next_of_type(ws, kind: str) -> dict:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if frame["type"] == kind:
            return frame


def test_patient_and_doctor_talk_both_ways_through_daphne(server):
    doctor = offering_doctor()
    profile = PatientProfileFactory()
    consult = consult_for(doctor=doctor, profile=profile)
    patient_token = user_tokens_issue(user=profile.user)["access"]
    doctor_token = user_tokens_issue(user=doctor.user)["access"]
    stranger = user_tokens_issue(user=PatientProfileFactory().user)["access"]
    url = f"ws://{server}/ws/consult/{consult.pk}/"

    async def scenario():
        # The mini-program's way (header) and the browser's (first frame, with Origin).
        async with (
            websockets.connect(
                url, additional_headers={"Authorization": f"Bearer {doctor_token}"}
            ) as at_doctor,
            websockets.connect(url, origin="http://127.0.0.1") as at_patient,
        ):
            await at_patient.send(json.dumps({"type": "auth", "token": patient_token}))
            assert await next_of_type(at_patient, "ready") == {"type": "ready"}
            assert await next_of_type(at_doctor, "ready") == {"type": "ready"}

            await at_patient.send(json.dumps({"type": "send", "text": "胸口闷"}))
            heard = await next_of_type(at_doctor, "message")
            assert (heard["message"]["sender"], heard["message"]["text"]) == (
                "patient",
                "胸口闷",
            )
            assert (await next_of_type(at_patient, "message")) == heard

            await at_doctor.send(json.dumps({"type": "send", "text": "持续多久了？"}))
            heard = await next_of_type(at_patient, "message")
            assert (heard["message"]["sender"], heard["message"]["text"]) == (
                "doctor",
                "持续多久了？",
            )
            assert (await next_of_type(at_patient, "consult"))["consult"] == {
                "id": consult.pk,
                "status": "in_progress",
            }

            # Someone else's consult is refused by the server too.
            async with websockets.connect(
                url, additional_headers={"Authorization": f"Bearer {stranger}"}
            ) as refused:
                with pytest.raises(websockets.ConnectionClosed) as closed:
                    await asyncio.wait_for(refused.recv(), timeout=10)
                assert closed.value.rcvd.code == 4404

    asyncio.run(scenario())
    assert list(
        ConsultMessage.objects.filter(consult=consult).values_list("sender", flat=True)
    ) == ["patient", "doctor"]


def test_the_portal_pages_session_opens_the_socket_through_daphne(server, settings):
    """The browser's way of the portal's page: the session cookie and our Origin; the
    same cookie from another site's page is refused at the handshake."""
    doctor = offering_doctor()
    profile = PatientProfileFactory()
    consult = consult_for(doctor=doctor, profile=profile)
    client = Client()
    client.force_login(profile.user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    doctor_token = user_tokens_issue(user=doctor.user)["access"]
    url = f"ws://{server}/ws/consult/{consult.pk}/"

    async def scenario():
        async with (
            websockets.connect(
                url, origin="http://127.0.0.1", additional_headers={"Cookie": cookie}
            ) as at_patient,
            websockets.connect(
                url, additional_headers={"Authorization": f"Bearer {doctor_token}"}
            ) as at_doctor,
        ):
            assert await next_of_type(at_patient, "ready") == {"type": "ready"}
            assert await next_of_type(at_doctor, "ready") == {"type": "ready"}
            await at_doctor.send(json.dumps({"type": "send", "text": "请描述症状"}))
            heard = await next_of_type(at_patient, "message")
            assert heard["message"]["text"] == "请描述症状"

        with pytest.raises(websockets.InvalidStatus):
            async with websockets.connect(
                url,
                origin="https://evil.example",
                additional_headers={"Cookie": cookie},
            ):
                pass

    asyncio.run(scenario())

"""The messages long-poll (consult/apis/poll.py): at once with messages, waiting for the
next one under ASGI, empty after `wait`, at once under WSGI, and the access rule of
messages/. Run on the in-memory channel layer, and on Redis pub/sub when REDIS_URL is set.
"""

import asyncio
import time

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient

from accounts.services.tokens import user_tokens_issue
from common.services import Actor
from consult.models import ConsultMessage
from consult.services.messages import message_recall, message_send
from tests.accounts.factories import PatientProfileFactory
from tests.consult.factories import BASE, consult_for, offering_doctor
from tests.records.helpers import client_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("channel_layer"),
]


@pytest.fixture
def world():
    doctor = offering_doctor()
    profile = PatientProfileFactory()
    consult = consult_for(doctor=doctor, profile=profile)
    # A first request loads the URLconf and every API module (seconds): before any timing.
    assert client_for(profile.user).get(f"{BASE}{consult.pk}/").status_code == 200
    return consult, profile.user, doctor.user


class AsgiCaller:
    """GETs through Django's ASGI handler (AsyncClient), where the poll may wait, with the
    user's access token (AsyncClient takes headers per request)."""

    def __init__(self, user=None) -> None:
        self.client = AsyncClient()
        self.headers = {}
        if user is not None:
            access = user_tokens_issue(user=user)["access"]
            self.headers = {"authorization": f"Bearer {access}"}

    async def get(self, url: str):
        return await self.client.get(url, headers=self.headers)


def asgi_client(user) -> AsgiCaller:
    return AsgiCaller(user)


def send(consult, user, sender: str, text: str) -> ConsultMessage:
    return message_send(
        actor=Actor(user=user), consult=consult, sender=sender, user=user, text=text
    )


def poll_url(consult, **query) -> str:
    params = "&".join(f"{name}={value}" for name, value in query.items())
    return f"{BASE}{consult.pk}/messages/poll/?{params}"


def test_the_poll_answers_at_once_when_messages_follow_the_cursor(world):
    consult, patient, doctor = world
    first = send(consult, patient, "patient", "头痛")
    second = send(consult, doctor, "doctor", "多久了")
    client = asgi_client(patient)

    async def scenario():
        began = time.monotonic()
        response = await client.get(poll_url(consult, after=first.pk, wait=25))
        return response, time.monotonic() - began

    response, seconds = async_to_sync(scenario)()
    assert response.status_code == 200
    body = response.json()
    assert [m["id"] for m in body["results"]] == [second.pk]
    assert body["next_cursor"] == second.pk
    assert seconds < 2
    # The same page as messages/.
    page = client_for(patient).get(f"{BASE}{consult.pk}/messages/?after={first.pk}")
    assert page.json() == body


def test_the_poll_waits_and_wakes_on_the_next_message(world):
    consult, patient, doctor = world
    first = send(consult, patient, "patient", "头痛")
    client = asgi_client(patient)

    async def scenario():
        began = time.monotonic()
        polling = asyncio.ensure_future(
            client.get(poll_url(consult, after=first.pk, wait=20))
        )
        await asyncio.sleep(0.5)
        assert not polling.done()  # nothing after the cursor yet: it waits
        reply = await sync_to_async(send)(consult, doctor, "doctor", "多久了")
        response = await asyncio.wait_for(polling, timeout=10)
        return response, reply, time.monotonic() - began

    response, reply, seconds = async_to_sync(scenario)()
    assert response.status_code == 200
    assert [m["text"] for m in response.json()["results"]] == ["多久了"]
    assert response.json()["next_cursor"] == reply.pk
    assert seconds < 5


def test_the_poll_answers_an_empty_page_after_wait_seconds(world):
    consult, patient, _doctor = world
    first = send(consult, patient, "patient", "头痛")
    client = asgi_client(patient)

    async def scenario():
        began = time.monotonic()
        polling = asyncio.ensure_future(
            client.get(poll_url(consult, after=first.pk, wait=2))
        )
        await asyncio.sleep(0.5)
        # A recall is no message after the cursor: the poll keeps waiting.
        await sync_to_async(message_recall)(actor=Actor(user=patient), message=first)
        response = await polling
        return response, time.monotonic() - began

    response, seconds = async_to_sync(scenario)()
    assert response.status_code == 200
    assert response.json() == {"results": [], "next_cursor": first.pk}
    assert 1.9 <= seconds < 5


def test_under_wsgi_the_poll_answers_at_once_without_waiting(world):
    consult, patient, _doctor = world
    first = send(consult, patient, "patient", "头痛")

    began = time.monotonic()
    response = client_for(patient).get(poll_url(consult, after=first.pk, wait=25))
    assert response.status_code == 200
    assert response.json() == {"results": [], "next_cursor": first.pk}
    assert time.monotonic() - began < 2


def test_the_poll_keeps_the_access_rule_and_checks_its_query(world):
    consult, patient, _doctor = world
    stranger = asgi_client(PatientProfileFactory().user)
    client = asgi_client(patient)

    async def scenario():
        return [
            await stranger.get(poll_url(consult, wait=1)),
            await AsgiCaller().get(poll_url(consult, wait=1)),
            await client.get(poll_url(consult, wait=26)),
            await client.get(poll_url(consult, after=-1)),
        ]

    refused, anonymous, too_long, bad_cursor = async_to_sync(scenario)()
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "consult_not_found"
    assert anonymous.status_code == 401
    assert too_long.status_code == 400
    assert set(too_long.json()["error"]["fields"]) == {"wait"}
    assert bad_cursor.status_code == 400

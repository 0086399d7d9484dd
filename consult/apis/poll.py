"""Long-poll of a consult's messages, for clients without a WebSocket.

GET <id>/messages/poll/?after=<cursor>&wait=<0..25>: the page `messages/` answers, at once
when there are messages after the cursor, otherwise once one is sent or after `wait`
seconds (then an empty page with the same cursor).

Waiting is done by the ASGI application only (daphne): the view is async, listens to the
consult's group on the channel layer (the frames consult/realtime.py sends after commit) and
holds neither a thread nor a database connection meanwhile. Under WSGI (gunicorn's sync
workers) a wait would hold a worker thread, so there it answers at once, as with `wait=0`;
a deployment routes this path to the ASGI server (README "Real time").

The access rule, the validation and the page are the REST view's own (a DRF view, run
before waiting and again after), so they cannot drift from `messages/`.
"""

import asyncio
import contextlib
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.schema import error_responses
from consult import selectors
from consult.apis.serializers import (
    MessageOutputSerializer,
    MessagePageQuerySerializer,
    MessagePageSerializer,
)
from consult.realtime import consult_group

logger = logging.getLogger(__name__)

POLL_WAIT_MAX = 25


class MessagePollQuerySerializer(MessagePageQuerySerializer):
    wait = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=POLL_WAIT_MAX,
        default=POLL_WAIT_MAX,
        help_text="Seconds to wait for a message when there is none after the cursor "
        "(0 to 25, default 25). Only the ASGI server waits; under WSGI the answer comes "
        "at once, as with 0.",
    )


class ConsultMessagePollApi(APIView):
    """The consult's messages after the cursor; when there are none yet, waits up to
    `wait` seconds for the next one (served by the ASGI application)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[MessagePollQuerySerializer],
        responses={200: MessagePageSerializer, **error_responses(400, 401, 404)},
    )
    def get(self, request: Request, consult_id: int) -> Response:
        query = MessagePollQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        consult = selectors.consult_get_for_party(
            user=request.user, consult_id=consult_id
        )
        after = query.validated_data.get("after")
        messages = selectors.messages_after(
            consult=consult, after=after, limit=query.validated_data["limit"]
        )
        response = Response(
            {
                "results": MessageOutputSerializer(messages, many=True).data,
                "next_cursor": messages[-1].pk if messages else after,
            }
        )
        # Read by the async wrapper below: how long it may wait for a message.
        response.poll_wait = 0 if messages else query.validated_data["wait"]
        return response

    @classmethod
    def as_view(cls, **initkwargs):
        page = super().as_view(**initkwargs)

        async def view(request: HttpRequest, consult_id: int) -> HttpResponse:
            return await _long_poll(page, request, consult_id)

        # What DRF's view carries: the schema generator reads cls and initkwargs.
        view.cls, view.initkwargs = page.cls, page.initkwargs
        view.csrf_exempt = True
        return view


async def _long_poll(page, request: HttpRequest, consult_id: int) -> HttpResponse:
    response = await sync_to_async(page)(request, consult_id=consult_id)
    wait = getattr(response, "poll_wait", 0)
    if not wait or not isinstance(request, ASGIRequest):
        return response
    layer = get_channel_layer()
    group = consult_group(consult_id)
    try:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
    except Exception:  # the layer is down: answer now, the client asks again
        logger.warning("consult %s: long-poll cannot listen", consult_id, exc_info=True)
        return response
    woken = asyncio.Event()
    listener = asyncio.create_task(_listen(layer, channel, woken))
    try:
        # Listening now: read again, for a message committed before the group was joined.
        response = await sync_to_async(page)(request, consult_id=consult_id)
        if getattr(response, "poll_wait", 0):
            await sync_to_async(_connection_release)()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), timeout=wait)
            if woken.is_set():
                response = await sync_to_async(page)(request, consult_id=consult_id)
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
        with contextlib.suppress(Exception):
            await layer.group_discard(group, channel)
    return response


async def _listen(layer, channel: str, woken: asyncio.Event) -> None:
    """Set `woken` at the first message frame of the group (recalls and status changes
    bring no message after the cursor). Cancelled by the poll when it answers, which is
    also how channel layers let go of a channel."""
    while True:
        event = await layer.receive(channel)
        if event.get("frame", {}).get("type") == "message":
            woken.set()


def _connection_release() -> None:
    """A waiting poll holds no database connection (outside a test's transaction)."""
    if not connection.in_atomic_block:
        connection.close()

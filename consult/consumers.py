"""The consult's WebSocket, ws/consult/<id>/: one per party's open chat screen.

An interface, like a view: who may open it is consult.selectors' rule (the REST 404), a
sent message goes through consult.services.messages.message_send (the REST path: rules,
encryption, operation log), and what the socket hears comes from consult/realtime.py's
frames after commit. Frames, in JSON:

- client → server: {"type": "auth", "token": <access>} (first, unless the handshake had
  `Authorization: Bearer <access>` or a browser's session), {"type": "send", "text": ...};

Three ways to authenticate: the bearer header (the mini-program), the auth frame, or, for
the portal's and the workspace's pages, the Django session cookie (config/asgi.py's
AuthMiddlewareStack). The session is taken only from a handshake with an Origin header
(which config/asgi.py's origin check has found to be one of our hosts; a cookie is ambient,
so a handshake without Origin never rides on it), and only for whom the pages would let in:
a patient, or a doctor whose session the admin accepts (its second factor passed). A
session socket lives at most until the session expires.
- server → client: {"type": "ready"}, {"type": "message", "message": {...}},
  {"type": "recalled", "message_id": N}, {"type": "consult", "consult": {"id", "status"}},
  {"type": "error", "error": {"code", "message", "fields"}} (the REST error body).

Close codes: 4401 bad, missing (after AUTH_TIMEOUT_SECONDS) or expired token; 4404 a consult
that is not the caller's or does not exist; 1013 the channel layer is unavailable (try
again). A socket lives at most until its access token expires: the client reconnects with
a fresh one.
"""

import asyncio
import functools
import json
import logging
import time

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from rest_framework.exceptions import ValidationError

from accounts.auth import access_token_user
from accounts.models import User
from accounts.permissions import user_is_doctor
from common.api import api_exception_handler, error_body
from common.errors import DomainError, NotFound
from common.services import Actor
from consult import selectors
from consult.apis.serializers import MessageInputSerializer
from consult.presence import (
    REFRESH_SECONDS,
    presence_enter,
    presence_leave,
    presence_refresh,
)
from consult.realtime import consult_group
from consult.services.messages import message_send

logger = logging.getLogger(__name__)

CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_TRY_AGAIN = 1013


class ConsultConsumer(AsyncJsonWebsocketConsumer):
    # How long a socket without the Authorization header may take to send its auth frame.
    AUTH_TIMEOUT_SECONDS = 10.0

    async def connect(self) -> None:
        self.consult_id = self.scope["url_route"]["kwargs"]["consult_id"]
        self.user = self.consult = self.party = None
        self.closing = False
        self.timers: list[asyncio.Task] = []
        # Accepted first: a close code reaches the client only on an open socket (closed
        # during the handshake, it would see a bare HTTP 403).
        await self.accept()
        token = _bearer_token(self.scope)
        if token is not None:
            await self.authenticate(token)
        elif _has_origin(self.scope) and await _session_user_id(self.scope):
            await self.authenticate_session()
        else:
            self.close_later(self.AUTH_TIMEOUT_SECONDS, only_unauthenticated=True)

    async def disconnect(self, code: int) -> None:
        for timer in self.timers:
            timer.cancel()
        if self.user is not None:
            await _presence(presence_leave, self)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if self.closing:
            return
        try:
            content = json.loads(text_data) if text_data is not None else None
        except ValueError:
            content = None
        kind = content.get("type") if isinstance(content, dict) else None
        if self.user is None:
            token = content.get("token") if kind == "auth" else None
            if isinstance(token, str):
                await self.authenticate(token)
            else:
                await self.shut(CLOSE_UNAUTHORIZED)
        elif kind == "send":
            error = await _message_send(
                user=self.user,
                consult=self.consult,
                party=self.party,
                content=content,
                ip=_client_ip(self.scope),
            )
            if error is not None:
                await self.send_json({"type": "error", "error": error})
        else:
            body = error_body(
                "invalid", _("Invalid input."), {"type": [_("Unknown frame type.")]}
            )
            await self.send_json({"type": "error", **body})

    async def consult_frame(self, event: dict) -> None:
        """A frame of consult/realtime.py for this consult's group."""
        if not self.closing:
            await self.send_json(event["frame"])

    async def authenticate(self, token: str) -> None:
        await self.join(await _party_for_token(token=token, consult_id=self.consult_id))

    async def authenticate_session(self) -> None:
        await self.join(
            await _party_for_session(self.scope, consult_id=self.consult_id)
        )

    async def join(self, found) -> None:
        if isinstance(found, int):
            await self.shut(found)
            return
        user, expires_at, consult, party = found
        group = consult_group(consult.pk)
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except Exception:
            logger.warning(
                "consult %s: channel layer unavailable", consult.pk, exc_info=True
            )
            await self.shut(CLOSE_TRY_AGAIN)
            return
        self.groups.append(group)  # left on disconnect by channels
        self.user, self.consult, self.party = user, consult, party
        self.close_later(max(expires_at - time.time(), 0), only_unauthenticated=False)
        await _presence(presence_enter, self)
        self.timers.append(asyncio.create_task(self.present_while_open()))
        await self.send_json({"type": "ready"})

    async def present_while_open(self) -> None:
        """Renew this party's presence (consult.presence) while the socket is open."""
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            await _presence(presence_refresh, self)

    def close_later(self, seconds: float, *, only_unauthenticated: bool) -> None:
        async def close() -> None:
            await asyncio.sleep(seconds)
            if not (only_unauthenticated and self.user is not None):
                await self.shut(CLOSE_UNAUTHORIZED)

        self.timers.append(asyncio.create_task(close()))

    async def shut(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            await self.close(code=code)


# The sockets' database work runs on the server's thread pool, side by side. A consumer has
# no per-request thread of its own (as Django gives each ASGI request), so the default
# (thread_sensitive) would queue every socket of the process on one shared thread.
# database_sync_to_async closes the thread's connection after the call when obsolete.
_on_thread_pool = functools.partial(database_sync_to_async, thread_sensitive=False)


async def _presence(change, consumer: ConsultConsumer) -> None:
    """Count the socket's party in or out (a cache call: off the event loop)."""
    await sync_to_async(change, thread_sensitive=False)(
        consult_id=consumer.consult.pk, user_id=consumer.user.pk
    )


def _bearer_token(scope: dict) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _sep, token = value.decode("latin1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            return ""  # present but not a bearer token: refused like a bad one
    return None


def _has_origin(scope: dict) -> bool:
    return any(name == b"origin" for name, _value in scope.get("headers", []))


@_on_thread_pool
def _session_user_id(scope: dict) -> int | None:
    """The session's user id, if the handshake carried a live session (else None)."""
    user = scope.get("user")
    return user.pk if user is not None and user.is_authenticated else None


def _session_accepted(user, session) -> bool:
    """As the pages' gates: a patient (the portal), or a doctor whose session the admin
    accepts (active staff, with STAFF_REQUIRE_OTP its second factor passed)."""
    if not user.is_active:
        return False
    if user.role == User.Role.PATIENT and not (user.is_staff or user.is_superuser):
        return True
    if not (user_is_doctor(user) and user.is_staff):
        return False
    if not settings.STAFF_REQUIRE_OTP:
        return True
    device = Device.from_persistent_id(session.get(DEVICE_ID_SESSION_KEY) or "")
    return device is not None and device.user_id == user.pk


@_on_thread_pool
def _party_for_session(scope: dict, *, consult_id: int):
    """(user, session expiry, consult, party), or the close code that refuses the socket."""
    user, session = scope.get("user"), scope.get("session")
    if user is None or session is None or not user.is_authenticated:
        return CLOSE_UNAUTHORIZED
    if not _session_accepted(user, session):
        return CLOSE_UNAUTHORIZED
    try:
        consult = selectors.consult_get_for_party(user=user, consult_id=consult_id)
    except NotFound:
        return CLOSE_NOT_FOUND
    expires_at = time.time() + session.get_expiry_age()
    return user, expires_at, consult, selectors.party_of(user=user, consult=consult)


def _client_ip(scope: dict) -> str | None:
    """As common.api.client_ip reads a request: the proxy's X-Forwarded-For when trusted."""
    if settings.TRUST_X_FORWARDED_FOR:
        for name, value in scope.get("headers", []):
            if name == b"x-forwarded-for":
                return value.decode("latin1").split(",")[0].strip()[:45] or None
    client = scope.get("client")
    return client[0] if client else None


@_on_thread_pool
def _party_for_token(*, token: str, consult_id: int):
    """(user, token expiry, consult, party), or the close code that refuses the socket."""
    found = access_token_user(token)
    if found is None:
        return CLOSE_UNAUTHORIZED
    user, expires_at = found
    try:
        consult = selectors.consult_get_for_party(user=user, consult_id=consult_id)
    except NotFound:
        return CLOSE_NOT_FOUND
    return user, expires_at, consult, selectors.party_of(user=user, consult=consult)


@_on_thread_pool
def _message_send(
    *, user, consult, party, content: dict, ip: str | None
) -> dict | None:
    """Send as POST messages/send/ does; None, or the error body REST would answer."""
    try:
        serializer = MessageInputSerializer(data=content)
        serializer.is_valid(raise_exception=True)
        message_send(
            actor=Actor(user=user, ip=ip),
            consult=consult,
            sender=party,
            user=user,
            text=serializer.validated_data["text"],
        )
    except (DomainError, DjangoValidationError, ValidationError) as exc:
        return api_exception_handler(exc, {}).data["error"]
    return None

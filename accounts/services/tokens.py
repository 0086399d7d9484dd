"""JWT pairs: issuing them at login, rotating the refresh token, and logging out.

Each login starts a session: a random id in the `sid` claim of its refresh token, which
simplejwt copies into every access token made from it and keeps through rotation. Logging
out blacklists the refresh token and records the session as revoked, so the session's
access tokens are refused too (accounts.auth), not only its refresh token.
"""

import secrets
from datetime import datetime

from django.contrib.auth.models import update_last_login
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError

# A library serializer, not our interface layer: it holds simplejwt's rotation logic.
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.errors import ErrorCode
from accounts.login_sessions import (
    login_session_forget,
    login_session_is_revoked,
    login_session_revoked_key,
)
from accounts.models import RevokedLoginSession, User
from accounts.selectors import (
    SESSION_CLAIM,
)
from common.errors import DomainError
from common.services import Actor, operation_log_write


class TokenNotValid(DomainError):
    status_code = 401

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.TOKEN_NOT_VALID, _("The token is invalid or has expired.")
        )


@transaction.atomic
def user_tokens_issue(
    *, user: User, claims: dict[str, str | int | None] | None = None
) -> dict[str, str]:
    """A new JWT pair for the user, in a new login session: {"access": ..., "refresh": ...}.

    `claims` are added to the refresh token; simplejwt copies them into every access token
    made from it and keeps them through rotation (the staff login's role and hospital).
    """
    refresh = RefreshToken.for_user(user)  # also records it as outstanding
    refresh[SESSION_CLAIM] = secrets.token_hex(16)
    for name, value in (claims or {}).items():
        refresh[name] = value
    # The outstanding row keeps the token as issued, with its session.
    OutstandingToken.objects.filter(jti=refresh[jwt_settings.JTI_CLAIM]).update(
        token=str(refresh)
    )
    update_last_login(None, user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: blacklist it and return a new pair.

    Raises TokenNotValid (401) for a bad, expired, blacklisted or already used token.
    """
    try:
        token = RefreshToken(refresh)
    except TokenError:
        raise TokenNotValid() from None
    # Lock the token's row so two concurrent refreshes with the same token run one after
    # the other: the second then sees the blacklist entry the first wrote.
    outstanding = (
        OutstandingToken.objects.select_for_update()
        .filter(jti=token[jwt_settings.JTI_CLAIM])
        .first()
    )
    if (
        outstanding is None
        or BlacklistedToken.objects.filter(token=outstanding).exists()
    ):
        raise TokenNotValid()
    sid = token.payload.get(SESSION_CLAIM)
    if sid and login_session_is_revoked(sid=str(sid)):
        raise TokenNotValid()
    user_id = token.payload.get(jwt_settings.USER_ID_CLAIM)
    if not User.objects.filter(pk=user_id).exists():
        raise TokenNotValid()
    try:
        return TokenRefreshSerializer().validate({"refresh": refresh})
    except (TokenError, AuthenticationFailed):
        raise TokenNotValid() from None


@transaction.atomic
def user_logout(*, actor: Actor, refresh: str) -> None:
    """End the login session of `refresh`: blacklist it and revoke the session, so its
    access tokens (the one of this request included) are refused from now on."""
    try:
        token = RefreshToken(refresh)
    except TokenError:
        raise TokenNotValid() from None
    if actor.user is None or str(token.payload.get(jwt_settings.USER_ID_CLAIM)) != str(
        actor.user.pk
    ):
        raise TokenNotValid()
    token.blacklist()
    sid = token.payload.get(SESSION_CLAIM)
    if sid:
        _session_revoke(user=actor.user, sid=str(sid), now=timezone.now())
    operation_log_write(actor=actor, action="user_logout", obj=actor.user)


def _session_revoke(*, user: User, sid: str, now: datetime) -> None:
    # Every token of the session was issued before now; none outlives this.
    lifetime = max(
        jwt_settings.ACCESS_TOKEN_LIFETIME, jwt_settings.REFRESH_TOKEN_LIFETIME
    )
    RevokedLoginSession.objects.get_or_create(
        sid=sid[:64],
        defaults={"user": user, "revoked_at": now, "expires_at": now + lifetime},
    )
    # The check's cache (accounts.login_sessions) forgets "not revoked" now, and learns
    # "revoked" after commit.
    key = login_session_revoked_key(sid[:64])
    cache.delete(key)
    login_session_forget(sid=sid[:64])
    transaction.on_commit(lambda: cache.set(key, 1, int(lifetime.total_seconds()) + 60))


def user_login_sessions_revoke(*, user: User, keep_sid: str = "") -> int:
    """End every login session of `user` but `keep_sid` (the caller's own, when a signed-in
    patient changes their password): blacklist their refresh tokens and revoke their
    sessions, so their access tokens are refused at once (accounts.auth). Returns how many
    sessions ended. Called inside the password write's transaction.
    """
    now = timezone.now()
    outstanding = OutstandingToken.objects.filter(
        user=user, expires_at__gt=now, blacklistedtoken__isnull=True
    )
    ended: set[str] = set()
    for row in outstanding:
        # The rows are our own tokens as issued; their signature was checked when used.
        sid = str(RefreshToken(row.token, verify=False).get(SESSION_CLAIM) or "")
        if sid and sid == keep_sid:
            continue
        BlacklistedToken.objects.get_or_create(token=row)
        if sid and sid not in ended:
            _session_revoke(user=user, sid=sid, now=now)
            ended.add(sid)
    return len(ended)


def revoked_login_sessions_prune(*, now: datetime | None = None) -> int:
    """Delete revoked sessions none of whose tokens can still be valid. Returns how many."""
    now = now or timezone.now()
    deleted, _by_model = RevokedLoginSession.objects.filter(
        expires_at__lte=now
    ).delete()
    return deleted

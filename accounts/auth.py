"""JWT authentication whose errors fit the project's error shape.

simplejwt's authentication errors carry a nested dict as their detail (one entry per
token class tried); common.api renders the detail as the message, which then becomes
unreadable. This subclass raises the same errors (401, same code: "token_not_valid",
"user_not_found", "user_inactive", ...) with one plain message. Point
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] at it.

It also refuses an access token whose login session was logged out (the `sid` claim,
accounts.services.tokens): simplejwt itself only blacklists refresh tokens.
"""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt import exceptions as jwt_exceptions
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts.login_sessions import login_session_is_revoked
from accounts.models import User
from accounts.selectors import SESSION_CLAIM
from common.request_context import request_user_set


class AuthenticationFailed(exceptions.AuthenticationFailed):
    """DRF's 401 with a plain string detail and the given code as default_code."""

    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail, code)
        self.default_code = code  # common.api reads the code from here


class JWTAuthentication(authentication.JWTAuthentication):
    def get_validated_token(self, raw_token: bytes):
        token = super().get_validated_token(raw_token)
        sid = token.get(SESSION_CLAIM)
        if sid and login_session_is_revoked(sid=str(sid)):
            raise jwt_exceptions.InvalidToken()
        # The logs name the user of this request from here on (common/request_context.py).
        request_user_set(token.get(jwt_settings.USER_ID_CLAIM))
        return token

    def authenticate(self, request: Request):
        try:
            return super().authenticate(request)
        except jwt_exceptions.InvalidToken:
            raise AuthenticationFailed(
                _("The token is invalid or has expired."), "token_not_valid"
            ) from None
        except jwt_exceptions.AuthenticationFailed as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {}
            raise AuthenticationFailed(
                str(detail.get("detail", exc.default_detail)),
                str(detail.get("code", exc.default_code)),
            ) from None


class StatelessJWTAuthentication(JWTAuthentication):
    """The same checks as JWTAuthentication (signature, expiry, type, logged-out session)
    without reading the user's row: request.user is simplejwt's TokenUser (id from the
    token). For the booking endpoint, whose rush refusals must not touch the database; the
    view reads the user itself (active or 401) before anything that writes for them."""

    def get_user(self, validated_token):
        return jwt_settings.TOKEN_USER_CLASS(validated_token)

    def authenticate(self, request: Request):
        # A token the view already validated for this request (validated_token_keep),
        # taken when the header still carries it: not verified and looked up twice.
        kept = getattr(request._request, KEPT_TOKEN_ATTRIBUTE, None)
        if kept is not None:
            raw = self.get_raw_token(self.get_header(request) or b"")
            if raw is not None and raw == kept[0]:
                return self.get_user(kept[1]), kept[1]
        return super().authenticate(request)


KEPT_TOKEN_ATTRIBUTE = "_stateless_validated_token"


def validated_token_keep(request: HttpRequest, raw_token: bytes, token) -> None:
    """Keep a token validated (get_validated_token, every check made) ahead of DRF, for
    StatelessJWTAuthentication to take for the same request."""
    setattr(request, KEPT_TOKEN_ATTRIBUTE, (raw_token, token))


class OptionalJWTAuthentication(JWTAuthentication):
    """For public endpoints that answer more to a signed-in caller (a member's priority
    window): no token makes the request anonymous. A token that is sent but bad, expired
    or logged out is still a 401 `token_not_valid`, as on every other endpoint, so a
    client refreshes it and asks again instead of silently getting the anonymous answer
    (a member would not see the priority window until some other call refreshed it)."""

    def authenticate(self, request: Request):
        if self.get_header(request) is None:
            return None
        return super().authenticate(request)


def request_has_token(request: HttpRequest) -> bool:
    """Whether the request has the header JWTAuthentication reads; without it the
    caller is anonymous, and no authentication of this module can refuse the request."""
    return jwt_settings.AUTH_HEADER_NAME in request.META


def access_token_user(raw_token: str) -> tuple[User, int] | None:
    """The user of an access token and when it expires (Unix time), with every check an
    API request's authentication makes (signature, expiry, token type, logged-out session,
    inactive or deleted user); None when any fails.

    For the callers outside DRF that take the same bearer token (the consult WebSocket).
    """
    authentication = JWTAuthentication()
    try:
        token = authentication.get_validated_token(raw_token.encode())
        user = authentication.get_user(token)
    except exceptions.AuthenticationFailed:  # simplejwt's errors derive from it
        return None
    return user, int(token["exp"])

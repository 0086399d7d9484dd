"""JWT authentication whose errors fit the project's error shape.

simplejwt raises InvalidToken with a nested dict as its detail (one entry per token
class tried); rendered by common.api that becomes an unreadable message. This subclass
raises the same error (401, code "token_not_valid") with one plain message. Point
REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] at it.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import InvalidToken


class JWTAuthentication(authentication.JWTAuthentication):
    def authenticate(self, request: Request):
        try:
            return super().authenticate(request)
        except InvalidToken as exc:
            if isinstance(exc.detail, dict):
                raise InvalidToken(_("The token is invalid or has expired.")) from None
            raise

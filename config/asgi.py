"""The ASGI application: Django's HTTP views, and the consult WebSockets (ws/consult/<id>/).

Served by daphne (`manage.py runserver` in development, `daphne config.asgi:application` in
production, see README "Real time"), beside or instead of gunicorn's WSGI application.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django is set up first: the routes import consumers, which import models.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from consult.routing import websocket_urlpatterns  # noqa: E402


class BrowserOriginValidator(OriginValidator):
    """A browser's WebSocket must come from one of our hosts; a client without an Origin
    header passes.

    Browsers always send Origin with a WebSocket handshake, so a page of another site
    cannot open one to us in a visitor's name. The WeChat mini-program (wx.connectSocket)
    and other native clients send none, and they authenticate with their own bearer token
    (never an ambient cookie), so they have nothing to forge. channels'
    AllowedHostsOriginValidator would refuse them.

    The portal's and the workspace's pages authenticate their socket with the Django
    session cookie (AuthMiddlewareStack gives the consumer the session's user). A cookie is
    ambient, so the consumer takes the session only from a handshake that has an Origin
    header, which this validator has checked against ALLOWED_HOSTS: a page of another
    site never gets a socket in a visitor's name (the WebSocket's CSRF protection).
    """

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return True
        return self.validate_origin(parsed_origin)


def websocket_application():
    return BrowserOriginValidator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns)), settings.ALLOWED_HOSTS
    )


application = ProtocolTypeRouter(
    {"http": django_application, "websocket": websocket_application()}
)

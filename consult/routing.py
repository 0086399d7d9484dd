"""consult's WebSocket routes (config/asgi.py mounts them)."""

from django.urls import path

from consult.consumers import ConsultConsumer

websocket_urlpatterns = [
    path("ws/consult/<int:consult_id>/", ConsultConsumer.as_asgi()),
]

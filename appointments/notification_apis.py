"""What the mini-program needs to ask for WeChat subscribe-message consent."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.notifications import selectors as notification_selectors
from common.schema import error_responses


class SubscribeTemplateSerializer(serializers.Serializer):
    event = serializers.CharField()
    event_display = serializers.CharField()
    template_id = serializers.CharField()


class NotificationSubscribeTemplatesApi(APIView):
    """The subscribe-message template ids to pass to wx.requestSubscribeMessage (read-only).

    Only events with a template configured are listed; an empty list means the server sends
    no WeChat messages (the inbox and text messages still work).
    """

    class OutputSerializer(serializers.Serializer):
        templates = SubscribeTemplateSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer, **error_responses(401)})
    def get(self, request: Request) -> Response:
        templates = notification_selectors.notification_subscribe_templates()
        return Response(self.OutputSerializer({"templates": templates}).data)

"""The patient's inbox (list, unread count, mark read) and the subscribe-message template
ids the mini-program needs to ask for WeChat consent."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from appointments.notifications import selectors as notification_selectors
from appointments.notifications import services as notification_services
from common.api import PageQuerySerializer, get_paginated_response, paginated_schema
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


class NotificationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField()
    event_display = serializers.CharField(source="get_event_display")
    title = serializers.CharField()
    body = serializers.CharField()
    page = serializers.CharField()
    appointment_id = serializers.IntegerField(allow_null=True)
    is_read = serializers.BooleanField()
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class NotificationListApi(APIView):
    """The user's in-app inbox, newest first (every notification, however it was sent)."""

    @extend_schema(
        parameters=[PageQuerySerializer],
        responses={
            200: paginated_schema("NotificationPage", NotificationOutputSerializer),
            **error_responses(400, 401, 404),
        },
    )
    def get(self, request: Request) -> Response:
        return get_paginated_response(
            serializer_class=NotificationOutputSerializer,
            queryset=notification_selectors.notification_list_for_user(
                user=request.user
            ),
            request=request,
            view=self,
        )


class NotificationUnreadCountApi(APIView):
    class OutputSerializer(serializers.Serializer):
        unread = serializers.IntegerField()

    @extend_schema(responses={200: OutputSerializer, **error_responses(401)})
    def get(self, request: Request) -> Response:
        count = notification_selectors.notification_unread_count(user=request.user)
        return Response(self.OutputSerializer({"unread": count}).data)


class NotificationReadApi(APIView):
    @extend_schema(
        request=None,
        responses={200: NotificationOutputSerializer, **error_responses(401, 404)},
    )
    def post(self, request: Request, notification_id: int) -> Response:
        notification = notification_selectors.notification_get_for_user(
            user=request.user, notification_id=notification_id
        )
        notification = notification_services.notification_mark_read(
            notification=notification
        )
        return Response(NotificationOutputSerializer(notification).data)


class NotificationReadAllApi(APIView):
    class OutputSerializer(serializers.Serializer):
        marked = serializers.IntegerField()

    @extend_schema(
        request=None, responses={200: OutputSerializer, **error_responses(401)}
    )
    def post(self, request: Request) -> Response:
        marked = notification_services.notifications_mark_all_read(user=request.user)
        return Response(self.OutputSerializer({"marked": marked}).data)

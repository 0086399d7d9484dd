"""A party reports a message of their consult (举报); staff review it in the admin."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.schema import error_responses
from common.services import Actor
from consult import selectors
from consult.models import MessageReport
from consult.services.reports import message_report_create


class MessageReportApi(APIView):
    """Report a message of the other party of my consult, once: 409 on a second report
    of the same message, 422 for my own message; someone else's consult answers 404."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=MessageReport.Reason.choices)
        comment = serializers.CharField(
            max_length=500, required=False, allow_blank=True, default=""
        )

    class OutputSerializer(serializers.ModelSerializer):
        message = serializers.IntegerField(source="message_id")

        class Meta:
            model = MessageReport
            fields = ["id", "message", "reason", "comment", "status", "created_at"]

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            **error_responses(400, 401, 404, 409, 422),
        },
    )
    def post(self, request: Request, message_id: int) -> Response:
        message = selectors.message_get_for_party(
            user=request.user, message_id=message_id
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = message_report_create(
            actor=Actor.from_request(request),
            user=request.user,
            side=selectors.party_of(user=request.user, consult=message.consult),
            message=message,
            reason=serializer.validated_data["reason"],
            comment=serializer.validated_data["comment"],
        )
        return Response(
            self.OutputSerializer(report).data, status=status.HTTP_201_CREATED
        )

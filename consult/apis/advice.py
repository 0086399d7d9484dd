"""The consult's doctor writes their advice; it shows in the patient's records."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotAllowed
from common.schema import error_responses
from common.services import Actor
from consult import selectors
from consult.apis.serializers import ConsultOutputSerializer
from consult.models import ConsultMessage
from consult.services.advice import consult_advice_write


class ConsultAdviceApi(APIView):
    """The consult's doctor writes (or rewrites) their advice on a consult in progress,
    closed or rated. Each write is a new version of the patient's record of kind
    online_consult (`record` in the answer); the patient sees it there at once."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        # The service refuses empty and over-long advice with its own codes.
        advice = serializers.CharField(allow_blank=True, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: ConsultOutputSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request, consult_id: int) -> Response:
        consult = selectors.consult_get_for_party(
            user=request.user, consult_id=consult_id
        )
        if selectors.party_of(user=request.user, consult=consult) != (
            ConsultMessage.Sender.DOCTOR
        ):
            raise NotAllowed(
                "permission_denied", _("Only the consult's doctor writes the advice.")
            )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consult_advice_write(
            actor=Actor.from_request(request),
            consult=consult,
            advice=serializer.validated_data["advice"],
        )
        consult = selectors.consult_get_for_party(
            user=request.user, consult_id=consult_id
        )
        return Response(ConsultOutputSerializer(consult).data)

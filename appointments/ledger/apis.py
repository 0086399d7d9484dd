"""The patient's ledger endpoints: a profile's records and restrictions, appeals."""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import patient_profile_get_for_user
from appointments.errors import ErrorCode
from appointments.ledger import selectors
from appointments.ledger.rules import restriction_refusal
from appointments.ledger.services import appeal_file
from common.errors import DomainError
from common.schema import error_responses
from common.services import Actor


class AppealBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    decision_note = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class LedgerEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    hospital_id = serializers.IntegerField()
    hospital_name = serializers.CharField(source="hospital.name")
    appointment_id = serializers.IntegerField()
    visit_starts_at = serializers.DateTimeField(source="appointment.visit_starts_at")
    occurred_at = serializers.DateTimeField()
    voided = serializers.SerializerMethodField()
    appeals = serializers.SerializerMethodField()

    def get_voided(self, entry) -> bool:
        return entry.voided_at is not None

    @extend_schema_field(AppealBriefSerializer(many=True))
    def get_appeals(self, entry) -> list[dict]:
        return AppealBriefSerializer(entry.appeals.all(), many=True).data


class RestrictionSerializer(serializers.Serializer):
    hospital_id = serializers.IntegerField()
    hospital_name = serializers.CharField()
    kind = serializers.CharField()
    until = serializers.DateField()
    message = serializers.CharField()


class ProfileLedgerApi(APIView):
    """One of my profiles' no-show and late-cancel records (the person's, whichever account
    booked) and the restrictions in force, with the reason and the end date."""

    class OutputSerializer(serializers.Serializer):
        profile_id = serializers.IntegerField()
        entries = LedgerEntrySerializer(many=True)
        restrictions = RestrictionSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer, **error_responses(401, 404)})
    def get(self, request: Request, profile_id: int) -> Response:
        profile = patient_profile_get_for_user(user=request.user, profile_id=profile_id)
        entries = selectors.ledger_entries_for_profile(
            profile=profile
        ).prefetch_related("appeals")
        restrictions = [
            {
                "hospital_id": hospital_id,
                "hospital_name": name,
                "kind": r.kind,
                "until": r.until_date,
                "message": restriction_refusal(r).message,
            }
            for hospital_id, name, r in selectors.ledger_restrictions_for_profile(
                profile=profile
            )
        ]
        data = {
            "profile_id": profile.pk,
            "entries": list(entries),
            "restrictions": restrictions,
        }
        return Response(self.OutputSerializer(data).data)


class AppealSerializer(AppealBriefSerializer):
    entry_id = serializers.IntegerField()
    kind = serializers.CharField(source="entry.kind")
    hospital_name = serializers.CharField(source="entry.hospital.name")
    reason = serializers.CharField()
    has_attachment = serializers.SerializerMethodField()

    def get_has_attachment(self, appeal) -> bool:
        return bool(appeal.attachment_storage_name)


class AppealFileApi(APIView):
    """Appeal against one of my records: a reason and an optional PDF, JPEG or PNG
    (multipart; a reason alone may come as JSON too)."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(max_length=1000, trim_whitespace=True)
        attachment = serializers.FileField(required=False)

    @extend_schema(
        request={
            "multipart/form-data": InputSerializer,
            "application/json": InputSerializer,
        },
        responses={201: AppealSerializer, **error_responses(400, 401, 404, 409, 422)},
    )
    def post(self, request: Request, entry_id: int) -> Response:
        entry = selectors.ledger_entry_get_for_user(
            user=request.user, entry_id=entry_id
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data.get("attachment")
        content = None
        if upload is not None:
            content = upload.read(settings.RECORD_ATTACHMENT_MAX_BYTES + 1)
            if not content:
                message = _("The file is empty.")
                raise DomainError(
                    ErrorCode.APPEAL_ATTACHMENT_REFUSED,
                    message,
                    fields={"attachment": [message]},
                )
        appeal = appeal_file(
            actor=Actor.from_request(request),
            user=request.user,
            entry=entry,
            reason=serializer.validated_data["reason"],
            attachment_name=upload.name if upload is not None else "",
            attachment_content=content,
        )
        return Response(AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)


class AppealListApi(APIView):
    """My appeals, newest first."""

    @extend_schema(responses={200: AppealSerializer(many=True), **error_responses(401)})
    def get(self, request: Request) -> Response:
        appeals = selectors.ledger_appeals_for_user(user=request.user)
        return Response(AppealSerializer(appeals, many=True).data)

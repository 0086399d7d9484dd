"""The doctors' and hospital staff's record API. Every read is written to the access log;
every id outside records.access answers 404."""

import json

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsClinician
from common.schema import error_responses
from common.services import Actor
from common.uploads import CappedMemoryUploadHandler
from records import access, selectors
from records.apis.patient import BINARY_RESPONSES
from records.apis.serializers import (
    ContentSerializer,
    RecordOutputSerializer,
    ResultSerializer,
    attachment_response,
    record_output,
)
from records.models import Report, VisitRecord
from records.services.access_log import record_access_write
from records.services.content import RecordContent
from records.services.records import record_correct, record_draft_save, record_sign
from records.services.reports import report_add


def _output(record_id: int) -> dict:
    record = selectors.record_output_queryset(
        VisitRecord.objects.filter(pk=record_id), locked_only=False
    ).get()
    return record_output(record)


class ClinicianApi(APIView):
    permission_classes = [IsAuthenticated, IsClinician]


class RecordDraftSaveApi(ClinicianApi):
    """Create or change the draft record of one of the doctor's own appointments."""

    @extend_schema(
        request=ContentSerializer,
        responses={
            200: RecordOutputSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request, appointment_id: int) -> Response:
        serializer = ContentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appointment = access.appointment_get_for_writing(
            user=request.user, appointment_id=appointment_id
        )
        version = record_draft_save(
            actor=Actor.from_request(request),
            appointment=appointment,
            content=RecordContent(**serializer.validated_data),
        )
        return Response(_output(version.record_id))


class RecordClinicianDetailApi(ClinicianApi):
    @extend_schema(
        responses={200: RecordOutputSerializer, **error_responses(401, 403, 404)}
    )
    def get(self, request: Request, record_id: int) -> Response:
        record = access.record_get_for_clinician(user=request.user, record_id=record_id)
        record_access_write(actor=Actor.from_request(request), record=record)
        return Response(_output(record.pk))


class RecordSignApi(ClinicianApi):
    @extend_schema(
        request=None,
        responses={
            200: RecordOutputSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request, record_id: int) -> Response:
        record = access.record_get_for_writing(user=request.user, record_id=record_id)
        record_sign(actor=Actor.from_request(request), record=record)
        return Response(_output(record.pk))


class RecordCorrectApi(ClinicianApi):
    """A correction of a signed or locked record: a new version, with the reason."""

    class InputSerializer(ContentSerializer):
        reason = serializers.CharField(max_length=500)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: RecordOutputSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request: Request, record_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        reason = data.pop("reason")
        record = access.record_get_for_writing(user=request.user, record_id=record_id)
        record_correct(
            actor=Actor.from_request(request),
            record=record,
            content=RecordContent(**data),
            reason=reason,
        )
        return Response(_output(record.pk), status=status.HTTP_201_CREATED)


class ReportAddApi(ClinicianApi):
    """Add a lab or imaging report (multipart): `results` is a JSON list of
    {item, value, unit, reference_range, flag}; `files` are PDF, JPEG or PNG."""

    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=Report.Kind.choices)
        title = serializers.CharField(max_length=200)
        conclusion = serializers.CharField(
            max_length=5000, allow_blank=True, required=False, default=""
        )
        results = serializers.CharField(
            required=False, default="[]", help_text="JSON list of results."
        )
        files = serializers.ListField(
            child=serializers.FileField(), required=False, default=list, max_length=10
        )

        def validate_results(self, value: str) -> list:
            try:
                parsed = json.loads(value)
            except ValueError:
                raise serializers.ValidationError("Not JSON.") from None
            if not isinstance(parsed, list) or len(parsed) > 200:
                raise serializers.ValidationError("A JSON list of at most 200 results.")
            rows = ResultSerializer(data=parsed, many=True)
            rows.is_valid(raise_exception=True)
            return rows.validated_data

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={
            201: RecordOutputSerializer,
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request: Request, record_id: int) -> Response:
        # Before the body is parsed: files are kept in memory only (common.uploads).
        request._request.upload_handlers = [
            CappedMemoryUploadHandler(
                request._request, max_bytes=settings.RECORD_ATTACHMENT_MAX_BYTES
            )
        ]
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record = access.record_get_for_report(user=request.user, record_id=record_id)
        # Read at most one byte over the limit: the service refuses the file then,
        # without holding a huge upload in memory.
        limit = settings.RECORD_ATTACHMENT_MAX_BYTES
        files = [
            (upload.name or "", upload.read(limit + 1)) for upload in data["files"]
        ]
        report_add(
            actor=Actor.from_request(request),
            record=record,
            kind=data["kind"],
            title=data["title"],
            conclusion=data["conclusion"],
            results=[dict(row) for row in data["results"]],
            files=files,
        )
        return Response(_output(record.pk), status=status.HTTP_201_CREATED)


class PatientHistoryApi(ClinicianApi):
    """A patient's earlier records (the same real person, any account), for the doctor
    seeing them today or the staff of the hospital. Each record listed is logged."""

    @extend_schema(
        responses={
            200: RecordOutputSerializer(many=True),
            **error_responses(401, 403, 404),
        }
    )
    def get(self, request: Request, appointment_id: int) -> Response:
        appointment = access.appointment_get_for_history(
            user=request.user, appointment_id=appointment_id
        )
        records = list(
            selectors.record_output_queryset(
                access.records_readable_by(request.user).filter(
                    person_hash=appointment.profile.id_card_hash
                ),
                locked_only=False,
            )[:50]
        )
        actor = Actor.from_request(request)
        with transaction.atomic():
            for record in records:
                record_access_write(actor=actor, record=record)
        return Response([record_output(record) for record in records])


class ClinicianAttachmentDownloadApi(ClinicianApi):
    @extend_schema(responses={**BINARY_RESPONSES, **error_responses(401, 403, 404)})
    def get(self, request: Request, attachment_id: int) -> HttpResponse:
        attachment = access.attachment_get_for_clinician(
            user=request.user, attachment_id=attachment_id
        )
        record_access_write(
            actor=Actor.from_request(request),
            record=attachment.report.record,
            attachment=attachment,
        )
        return attachment_response(attachment)

"""The patients' record API: their own profiles' locked records, files and access log."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import PageQuerySerializer, get_paginated_response, paginated_schema
from common.replica import reads_may_lag
from common.schema import error_responses
from records import access, selectors
from records.apis.serializers import (
    RecordOutputSerializer,
    attachment_response,
    record_output,
)
from records.models import VisitRecord

BINARY_RESPONSES = {
    (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file.")
    for content_type in ("application/pdf", "image/jpeg", "image/png")
}


class RecordListApi(APIView):
    """My records (every profile of mine), newest visit first, with their reports."""

    @extend_schema(
        parameters=[PageQuerySerializer],
        operation_id="records_list",
        responses={
            200: paginated_schema("RecordPage", RecordOutputSerializer),
            **error_responses(400, 401, 404),
        },
    )
    @reads_may_lag  # a history list: it may lag (right after a write, the primary)
    def get(self, request: Request) -> Response:
        queryset = selectors.record_output_queryset(
            access.records_of_patient(request.user), locked_only=True
        )
        return get_paginated_response(
            serializer_class=RecordOutputSerializer,
            queryset=queryset,
            request=request,
            view=self,
        )


class RecordDetailApi(APIView):
    @extend_schema(responses={200: RecordOutputSerializer, **error_responses(401, 404)})
    def get(self, request: Request, record_id: int) -> Response:
        record = access.record_get_for_patient(user=request.user, record_id=record_id)
        record = selectors.record_output_queryset(
            VisitRecord.objects.filter(pk=record.pk), locked_only=True
        ).get()
        return Response(record_output(record))


class AttachmentDownloadApi(APIView):
    @extend_schema(responses={**BINARY_RESPONSES, **error_responses(401, 404)})
    def get(self, request: Request, attachment_id: int) -> HttpResponse:
        attachment = access.attachment_get_for_patient(
            user=request.user, attachment_id=attachment_id
        )
        return attachment_response(attachment)


class AccessLogListApi(APIView):
    """谁查看了我的病历: every time a doctor or staff member opened my records."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        accessed_at = serializers.DateTimeField()
        record_id = serializers.IntegerField()
        attachment_id = serializers.IntegerField(allow_null=True)
        what = serializers.CharField()
        role = serializers.CharField()
        reader = serializers.SerializerMethodField()
        hospital = serializers.CharField(source="hospital.name", default="")
        profile_id = serializers.IntegerField()
        patient = serializers.CharField(source="profile.name")

        def get_reader(self, entry) -> str:
            doctor = getattr(entry.reader, "doctor", None)
            return doctor.name if doctor else entry.reader.get_full_name()

    @extend_schema(
        parameters=[PageQuerySerializer],
        operation_id="records_access_log",
        responses={
            200: paginated_schema("RecordAccessPage", OutputSerializer),
            **error_responses(400, 401, 404),
        },
    )
    def get(self, request: Request) -> Response:
        return get_paginated_response(
            serializer_class=self.OutputSerializer,
            queryset=selectors.access_log_for_patient(user=request.user),
            request=request,
            view=self,
        )

"""A patient's own visit, exported: a PDF to print, a FHIR R4B Bundle for other systems."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.schema import error_responses
from records import access, selectors
from records.export.build import visit_document
from records.export.document import VisitDocument
from records.export.fhir import visit_bundle
from records.export.pdf import visit_pdf
from records.models import VisitRecord


def _document(request: Request, record_id: int) -> VisitDocument:
    # The patient's access check first (404 for anyone else's id), then the locked versions.
    record = access.record_get_for_patient(user=request.user, record_id=record_id)
    record = (
        selectors.record_output_queryset(
            VisitRecord.objects.filter(pk=record.pk), locked_only=True
        )
        .select_related("appointment")
        .get()
    )
    return visit_document(record)


class RecordPdfApi(APIView):
    @extend_schema(
        operation_id="records_export_pdf",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The visit record as a PDF."
            ),
            **error_responses(401, 404, 503),
        },
    )
    def get(self, request: Request, record_id: int) -> HttpResponse:
        doc = _document(request, record_id)
        response = HttpResponse(visit_pdf(doc), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="record-{doc.record_id}-v{doc.version}.pdf"'
        )
        response["Cache-Control"] = "private, no-store"
        return response


class RecordFhirApi(APIView):
    @extend_schema(
        operation_id="records_export_fhir",
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT, description="A FHIR R4B Bundle (type collection)."
            ),
            **error_responses(401, 404),
        },
    )
    def get(self, request: Request, record_id: int) -> Response:
        response = Response(visit_bundle(_document(request, record_id)))
        response["Cache-Control"] = "private, no-store"
        return response

from django.urls import path

from records.apis import clinician, exports, patient

app_name = "records"
urlpatterns = [
    # patients: their own records
    path("", patient.RecordListApi.as_view(), name="list"),
    path("<int:record_id>/", patient.RecordDetailApi.as_view(), name="detail"),
    path(
        "attachments/<int:attachment_id>/",
        patient.AttachmentDownloadApi.as_view(),
        name="attachment",
    ),
    path(
        "<int:record_id>/export/pdf/", exports.RecordPdfApi.as_view(), name="export-pdf"
    ),
    path(
        "<int:record_id>/export/fhir/",
        exports.RecordFhirApi.as_view(),
        name="export-fhir",
    ),
    path("access-log/", patient.AccessLogListApi.as_view(), name="access-log"),
    # doctors and hospital staff
    path(
        "staff/appointments/<int:appointment_id>/draft/",
        clinician.RecordDraftSaveApi.as_view(),
        name="draft",
    ),
    path(
        "staff/appointments/<int:appointment_id>/history/",
        clinician.PatientHistoryApi.as_view(),
        name="history",
    ),
    path(
        "staff/<int:record_id>/",
        clinician.RecordClinicianDetailApi.as_view(),
        name="staff-detail",
    ),
    path("staff/<int:record_id>/sign/", clinician.RecordSignApi.as_view(), name="sign"),
    path(
        "staff/<int:record_id>/correct/",
        clinician.RecordCorrectApi.as_view(),
        name="correct",
    ),
    path(
        "staff/<int:record_id>/reports/",
        clinician.ReportAddApi.as_view(),
        name="report-add",
    ),
    path(
        "staff/attachments/<int:attachment_id>/",
        clinician.ClinicianAttachmentDownloadApi.as_view(),
        name="staff-attachment",
    ),
]

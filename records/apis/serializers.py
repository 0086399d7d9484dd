"""Serializers shared by the patients' and the clinicians' record APIs."""

from django.http import HttpResponse
from rest_framework import serializers

from records.models import Attachment, RecordVersion, Report, VisitRecord
from records.services.attachments import attachment_content

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class DiagnosisSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=16,
        allow_blank=True,
        required=False,
        default="",
        help_text="ICD-10, e.g. J06.9; empty for a free-text diagnosis.",
    )
    text = serializers.CharField(
        max_length=200, allow_blank=True, required=False, default=""
    )


class PrescriptionSerializer(serializers.Serializer):
    drug = serializers.CharField(max_length=100)
    dose = serializers.CharField(max_length=50, allow_blank=True, default="")
    route = serializers.CharField(max_length=30, allow_blank=True, default="")
    frequency = serializers.CharField(max_length=30, allow_blank=True, default="")
    days = serializers.IntegerField(min_value=1, max_value=365)
    quantity = serializers.CharField(max_length=30, allow_blank=True, default="")


def _text(max_length: int) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, allow_blank=True, required=False, default=""
    )


class ContentSerializer(serializers.Serializer):
    """A record version's content, as the doctor writes it."""

    chief_complaint = _text(500)
    present_illness = _text(5000)
    history = _text(5000)
    examination = _text(5000)
    diagnoses = DiagnosisSerializer(many=True, required=False, default=list)
    prescriptions = PrescriptionSerializer(many=True, required=False, default=list)
    orders = _text(2000)
    advice = _text(2000)
    follow_up_date = serializers.DateField(
        allow_null=True, required=False, default=None
    )

    def validate_diagnoses(self, value: list) -> list:
        if len(value) > 20:
            raise serializers.ValidationError("At most 20 diagnoses.")
        return value

    def validate_prescriptions(self, value: list) -> list:
        if len(value) > 50:
            raise serializers.ValidationError("At most 50 prescriptions.")
        return value


class VersionOutputSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status = serializers.CharField()
    status_display = serializers.CharField(source="get_status_display")
    author = serializers.SerializerMethodField()
    chief_complaint = serializers.CharField()
    present_illness = serializers.CharField()
    history = serializers.CharField()
    examination = serializers.CharField()
    diagnoses = DiagnosisSerializer(many=True)
    prescriptions = PrescriptionSerializer(many=True)
    orders = serializers.CharField()
    advice = serializers.CharField()
    follow_up_date = serializers.DateField(allow_null=True)
    correction_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    locked_at = serializers.DateTimeField(allow_null=True)

    def get_author(self, version: RecordVersion) -> str:
        doctor = getattr(version.author, "doctor", None)
        return doctor.name if doctor else version.author.get_full_name()


class ResultSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=100)
    value = serializers.CharField(max_length=100, allow_blank=True, default="")
    unit = serializers.CharField(max_length=30, allow_blank=True, default="")
    reference_range = serializers.CharField(
        max_length=100, allow_blank=True, default=""
    )
    flag = serializers.ChoiceField(choices=Report.Flag.choices)


class AttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    name = serializers.CharField(source="original_name")


class ReportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    title = serializers.CharField()
    conclusion = serializers.CharField()
    results = ResultSerializer(many=True)
    attachments = AttachmentOutputSerializer(many=True)
    created_at = serializers.DateTimeField()


class RecordOutputSerializer(serializers.Serializer):
    """A record with its versions (newest first) and reports. Patients see only the
    locked versions (the selector leaves drafts out)."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(
        choices=VisitRecord.Kind.choices,
        help_text="visit: a clinic visit (appointment_id); online_consult: an online "
        "consult (consult_id), whose versions hold the doctor's advice.",
    )
    kind_display = serializers.CharField(source="get_kind_display")
    appointment_id = serializers.IntegerField(allow_null=True)
    consult_id = serializers.IntegerField(allow_null=True)
    visit_at = serializers.DateTimeField()
    hospital = serializers.CharField(source="hospital.name")
    department = serializers.CharField(source="doctor.department.name")
    doctor = serializers.CharField(source="doctor.name")
    profile_id = serializers.IntegerField()
    patient = serializers.CharField(source="profile.name")
    versions = VersionOutputSerializer(many=True)
    reports = ReportOutputSerializer(many=True)


def record_output(record: VisitRecord) -> dict:
    return RecordOutputSerializer(record).data


def attachment_response(attachment: Attachment) -> HttpResponse:
    """The decrypted file, with the type found from its content when it was added."""
    response = HttpResponse(
        attachment_content(attachment), content_type=attachment.content_type
    )
    extension = EXTENSIONS[attachment.content_type]
    response["Content-Disposition"] = (
        f'attachment; filename="attachment-{attachment.pk}.{extension}"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response

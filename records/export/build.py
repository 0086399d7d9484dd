"""A record as an export document: its newest locked version, decrypted, with its reports."""

from django.utils.translation import gettext as _

from records.export import document as d
from records.models import RecordVersion, VisitRecord


def _author_name(version: RecordVersion) -> str:
    doctor = getattr(version.author, "doctor", None)
    return doctor.name if doctor else version.author.get_full_name()


def visit_document(record: VisitRecord) -> d.VisitDocument:
    """Build from a record fetched by records.selectors.record_output_queryset (locked
    versions only, reports prefetched). Raises LookupError when no version is locked."""
    versions = [v for v in record.versions.all() if v.is_locked]
    if not versions:
        raise LookupError(f"record {record.pk} has no locked version")
    version = max(versions, key=lambda v: v.number)
    appointment = record.appointment
    profile = record.profile
    return d.VisitDocument(
        record_id=record.pk,
        version=version.number,
        patient=d.Patient(
            id=profile.pk,
            name=profile.name,
            gender=profile.gender,
            birth_date=profile.birth_date,
        ),
        hospital=record.hospital.name,
        department=record.doctor.department.name,
        doctor=record.doctor.name,
        visit_started_at=(appointment and appointment.visit_started_at)
        or record.visit_at,
        visit_ended_at=appointment.visit_ended_at if appointment else None,
        chief_complaint=version.chief_complaint,
        present_illness=version.present_illness,
        history=version.history,
        examination=version.examination,
        diagnoses=tuple(
            d.Diagnosis(text=x["text"], code=x.get("code", ""))
            for x in version.diagnoses
        ),
        prescriptions=tuple(
            d.Prescription(
                drug=str(p.get("drug", "")),
                dose=str(p.get("dose", "")),
                route=str(p.get("route", "")),
                frequency=str(p.get("frequency", "")),
                days=int(p.get("days") or 0),
                quantity=str(p.get("quantity", "")),
            )
            for p in version.prescriptions
        ),
        orders=version.orders,
        advice=version.advice,
        follow_up_on=version.follow_up_date,
        signed_by=_author_name(version)
        if version.status == RecordVersion.Status.SIGNED
        else _("locked automatically"),
        signed_at=version.locked_at,
        reports=tuple(
            d.Report(
                id=report.pk,
                kind=report.kind,
                title=report.title,
                issued_at=report.created_at,
                conclusion=report.conclusion,
                results=tuple(
                    d.ResultLine(
                        item=str(r.get("item", "")),
                        value=str(r.get("value", "")),
                        unit=str(r.get("unit", "")),
                        reference_range=str(r.get("reference_range", "")),
                        # The model's "abnormal" is FHIR's (and the PDF's) "A".
                        flag="A"
                        if r.get("flag") == "abnormal"
                        else str(r.get("flag", "")),
                    )
                    for r in report.results
                ),
            )
            for report in sorted(
                record.reports.all(), key=lambda r: (r.created_at, r.pk)
            )
        ),
    )

"""The visit record page: the doctor writes the draft, saves it, signs it; a signed or
locked record is shown read-only with a correction form (reason required). The patient's
earlier records are listed through the records selectors and access rules the history
API uses, and every one listed is written to the access log (the patient sees it).

Only the appointment's own doctor reaches the page (records.access.appointment_get_for_
writing: anyone else's appointment answers 404). Bad input re-shows the form with its
errors (400) and writes nothing; a service's refusal is shown as a message.
"""

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from appointments.models import Appointment
from common.errors import DomainError, NotFound
from common.services import Actor
from records import access, selectors
from records.models import VisitRecord
from records.services.access_log import record_access_write
from records.services.records import record_correct, record_draft_save, record_sign
from records.workspace.forms import CorrectionForm, content_from_forms, forms_for
from records.workspace.gate import clinic_page

HISTORY_LIMIT = 50


def earlier_records(request: HttpRequest, appointment: Appointment) -> list:
    """The patient's other records the user may read, each read logged."""
    try:
        appointment = access.appointment_get_for_history(
            user=request.user, appointment_id=appointment.pk
        )
    except NotFound:
        return []
    records = list(
        selectors.record_output_queryset(
            access.records_readable_by(request.user)
            .filter(person_hash=appointment.profile.id_card_hash)
            .exclude(appointment_id=appointment.pk),
            locked_only=False,
        )[:HISTORY_LIMIT]
    )
    actor = Actor.from_request(request)
    with transaction.atomic():
        for record in records:
            record_access_write(actor=actor, record=record)
    return records


def _write(request, appointment, record, locked, content, correction) -> str:
    """Save, sign or correct; the success message. DomainError leaves nothing written."""
    actor = Actor.from_request(request)
    with transaction.atomic():
        if locked:
            record_correct(
                actor=actor,
                record=record,
                content=content,
                reason=correction.cleaned_data["reason"],
            )
            return _("The correction has been saved as a new signed version.")
        version = record_draft_save(
            actor=actor, appointment=appointment, content=content
        )
        if request.POST.get("action") == "sign":
            record_sign(actor=actor, record=version.record)
            return _("The record has been signed; the patient can read it now.")
    return _("The draft has been saved.")


@never_cache
@require_http_methods(["GET", "POST"])
@clinic_page
def record_page(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = access.appointment_get_for_writing(
        user=request.user, appointment_id=appointment_id
    )
    record = VisitRecord.objects.filter(appointment=appointment).first()
    versions = list(record.versions.order_by("-number")) if record else []
    latest = versions[0] if versions else None
    locked = latest is not None and latest.is_locked
    status = 200
    if request.method == "POST":
        form, diagnoses, prescriptions = forms_for(request.POST)
        correction = CorrectionForm(request.POST) if locked else None
        valid = [form, diagnoses, prescriptions] + ([correction] if locked else [])
        if all(f.is_valid() for f in valid):
            content = content_from_forms(form, diagnoses, prescriptions)
            try:
                done = _write(request, appointment, record, locked, content, correction)
            except DomainError as error:
                messages.error(request, str(error.message))
            else:
                messages.success(request, done)
                return redirect("workspace:record", appointment_id=appointment.pk)
        status = 400
    else:
        form, diagnoses, prescriptions = forms_for(None, latest)
        correction = CorrectionForm() if locked else None
    return render(
        request,
        "workspace/record.html",
        {
            "appointment": appointment,
            "record": record,
            "versions": versions,
            "latest": latest,
            "locked": locked,
            "form": form,
            "diagnoses": diagnoses,
            "prescriptions": prescriptions,
            "correction": correction,
            "history": earlier_records(request, appointment),
        },
        status=status,
    )

"""爽约记录与申诉: a profile's no-show and late-cancel records, the restrictions in force
(the reason and the end date), and an appeal with an optional file.

Through appointments' ledger selectors and services, the API's: another user's profile or
record id answers 404; one pending appeal per record; the file is checked by its content.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.models import PatientProfile
from accounts.selectors import patient_profile_get_for_user
from appointments.ledger import selectors
from appointments.ledger.rules import restriction_refusal
from appointments.ledger.services import appeal_file
from common.refusals import Refused, call_service
from common.services import Actor
from config.portal.gate import patient_page


class AppealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why the record is wrong"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attachment = forms.FileField(
        label=gettext_lazy("A proof (PDF, JPEG or PNG, optional)"), required=False
    )


def _entry_ids(entry_id: int) -> str:
    """Each record's appeal form has ids of its own, so its labels name its own fields
    (one page holds a form per record; the posted field names stay the same)."""
    return f"id_entry{entry_id}_%s"


def _page(
    request: HttpRequest,
    profile: PatientProfile,
    *,
    form: AppealForm | None = None,
    appealing: int = 0,
    status: int = 200,
) -> HttpResponse:
    entries = selectors.ledger_entries_for_profile(profile=profile).prefetch_related(
        "appeals"
    )
    rows = []
    for entry in entries:
        appeals = list(entry.appeals.all())
        last = appeals[0] if appeals else None
        rows.append(
            {
                "entry": entry,
                "appeal": last,
                "can_appeal": entry.voided_at is None
                and not (last and last.status == "pending"),
                "form": form
                if form is not None and appealing == entry.pk
                else AppealForm(auto_id=_entry_ids(entry.pk)),
            }
        )
    restrictions = [
        {"hospital": name, "message": restriction_refusal(r).message}
        for _id, name, r in selectors.ledger_restrictions_for_profile(profile=profile)
    ]
    return render(
        request,
        "portal/ledger.html",
        {
            "profile": profile,
            "rows": rows,
            "restrictions": restrictions,
            "appeals": selectors.ledger_appeals_for_user(user=request.user),
            "appealing": appealing,
        },
        status=status,
    )


@never_cache
@require_safe
@patient_page
def ledger_page(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = patient_profile_get_for_user(user=request.user, profile_id=profile_id)
    return _page(request, profile)


@require_POST
@patient_page
def ledger_appeal(request: HttpRequest, profile_id: int, entry_id: int) -> HttpResponse:
    profile = patient_profile_get_for_user(user=request.user, profile_id=profile_id)
    entry = selectors.ledger_entry_get_for_user(user=request.user, entry_id=entry_id)
    form = AppealForm(request.POST, request.FILES, auto_id=_entry_ids(entry.pk))
    try:
        if not form.is_valid():
            raise Refused(400)
        upload = form.cleaned_data.get("attachment")
        call_service(
            form,
            lambda: appeal_file(
                actor=Actor.from_request(request),
                user=request.user,
                entry=entry,
                reason=form.cleaned_data["reason"],
                attachment_name=upload.name if upload else "",
                attachment_content=upload.read(settings.RECORD_ATTACHMENT_MAX_BYTES + 1)
                if upload
                else None,
            ),
        )
    except Refused as refused:
        return _page(
            request, profile, form=form, appealing=entry.pk, status=refused.status
        )
    messages.success(request, _("Your appeal was sent; the hospital will decide."))
    return redirect("portal:ledger", profile_id=profile.pk)

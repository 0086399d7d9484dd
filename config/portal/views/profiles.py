"""就诊人 management: the patient's profiles, add one, delete one.

Through accounts' services (patient_profile_create, patient_profile_delete), the API's:
the limits per account and per ID number, and "not while bookings are upcoming", hold
here too. Another user's profile id answers 404.
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from accounts.selectors import (
    patient_profile_get_for_user,
    patient_profile_list_for_user,
    profile_id_card_masked,
    profile_phone_masked,
)
from accounts.services.profiles import patient_profile_create, patient_profile_delete
from common.refusals import Refused, call_service
from common.services import Actor
from config.portal.forms import ProfileForm
from config.portal.gate import patient_page


def _rows(request: HttpRequest) -> list[dict]:
    return [
        {
            "profile": profile,
            "id_card": profile_id_card_masked(profile),
            "phone": profile_phone_masked(profile),
        }
        for profile in patient_profile_list_for_user(user=request.user)
    ]


@never_cache
@require_safe
@patient_page
def profile_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/profiles.html", {"rows": _rows(request)})


@never_cache
@require_http_methods(["GET", "POST"])
@patient_page
def profile_add(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        next_url = ""
    form = ProfileForm(request.POST or None)
    status = 200
    if request.method == "POST":
        try:
            if not form.is_valid():
                raise Refused(400)
            call_service(
                form,
                lambda: patient_profile_create(
                    actor=Actor.from_request(request),
                    user=request.user,
                    **form.cleaned_data,
                ),
            )
        except Refused as refused:
            status = refused.status
        else:
            messages.success(request, _("The patient was added."))
            return redirect(next_url or "portal:profiles")
    return render(
        request,
        "portal/profile_form.html",
        {"form": form, "next": next_url},
        status=status,
    )


@require_POST
@patient_page
def profile_delete(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = patient_profile_get_for_user(user=request.user, profile_id=profile_id)
    form = forms.Form({})  # only carries a refusal back to the page
    form.is_valid()
    try:
        call_service(
            form,
            lambda: patient_profile_delete(
                actor=Actor.from_request(request), profile=profile
            ),
        )
    except Refused as refused:
        return render(
            request,
            "portal/profiles.html",
            {"rows": _rows(request), "errors": form.non_field_errors()},
            status=refused.status,
        )
    messages.success(request, _("The patient was removed."))
    return redirect("portal:profiles")

"""Rebooking offers after a stop (停诊) in the portal: the list, accept and decline.

Every id goes through appointments.rebooking_offer_selectors (another user's offer answers
404); accept and decline are the API's services (appointments.services.rebooking_offers).
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from appointments.rebooking_offer_selectors import (
    rebooking_offer_get_for_user,
    rebooking_offer_list_for_user,
)
from appointments.services.rebooking_offers import (
    rebooking_offer_accept,
    rebooking_offer_decline,
)
from common.refusals import Refused, call_service
from common.services import Actor
from config.portal.gate import patient_page


def _list(request: HttpRequest, form: forms.Form, status: int = 200) -> HttpResponse:
    offers = rebooking_offer_list_for_user(user=request.user)[:50]
    return render(
        request,
        "portal/rebooking_offers.html",
        {"offers": offers, "form": form},
        status=status,
    )


@never_cache
@require_safe
@patient_page
def rebooking_offer_list(request: HttpRequest) -> HttpResponse:
    return _list(request, forms.Form())


@require_POST
@patient_page
def rebooking_offer_accept_view(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = rebooking_offer_get_for_user(user=request.user, offer_id=offer_id)
    form = forms.Form(request.POST)
    form.is_valid()  # no fields: a refusal's reason goes on it
    try:
        appointment = call_service(
            form,
            lambda: rebooking_offer_accept(
                actor=Actor.from_request(request), offer=offer
            ),
        )
    except Refused as refused:
        return _list(request, form, status=refused.status)
    messages.success(request, _("The offered time is booked for you."))
    return redirect("portal:appointment", appointment_id=appointment.pk)


@require_POST
@patient_page
def rebooking_offer_decline_view(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = rebooking_offer_get_for_user(user=request.user, offer_id=offer_id)
    form = forms.Form(request.POST)
    form.is_valid()  # no fields: a refusal's reason goes on it
    try:
        call_service(
            form,
            lambda: rebooking_offer_decline(
                actor=Actor.from_request(request), offer=offer
            ),
        )
    except Refused as refused:
        return _list(request, form, status=refused.status)
    messages.success(request, _("The offer was declined."))
    return redirect("portal:rebooking-offers")

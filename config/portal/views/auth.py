"""Login with phone and SMS code (accounts' services and throttles), and logout.

The code is sent and checked by the same services as the API's (sms_code_send,
user_login_with_sms): the resend interval, the daily caps per phone and per address,
the wrong-tries limit and "patients only" hold here too. A successful login starts a
Django session for the patient (the API's clients use tokens instead).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.services.login import sms_code_send, user_login_with_sms
from common.refusals import Refused, call_service
from common.services import Actor
from config.portal.forms import LoginForm

SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@never_cache
@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    form = LoginForm(request.POST or None)
    status = 200
    code_sent = request.method == "POST" and bool(request.POST.get("code_sent"))
    if request.method == "POST":
        sending = request.POST.get("action") == "send"
        try:
            if not form.is_valid() or not (sending or form.require_code()):
                raise Refused(400)
            actor = Actor.from_request(request)
            phone = form.cleaned_data["phone"]
            if sending:
                call_service(form, lambda: sms_code_send(actor=actor, phone=phone))
                code_sent = True
                messages.success(
                    request,
                    _(
                        "A code was sent to %(phone)s. It is valid for %(minutes)s minutes."
                    )
                    % {"phone": phone, "minutes": settings.SMS_CODE_TTL_SECONDS // 60},
                )
            else:
                user, _created = call_service(
                    form,
                    lambda: user_login_with_sms(
                        actor=actor, phone=phone, code=form.cleaned_data["code"]
                    ),
                )
                login(request, user, backend=SESSION_BACKEND)
                return redirect(next_url or "portal:appointments")
        except Refused as refused:
            status = refused.status
    return render(
        request,
        "portal/login.html",
        {"form": form, "next": next_url, "code_sent": code_sent},
        status=status,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You have logged out."))
    return redirect("portal:index")

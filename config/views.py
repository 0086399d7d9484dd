"""The front door at `/`: what this service is and where each kind of visitor goes.

A plain page (no API): patients are pointed at the patient portal (/h5/, config.portal),
developers at the API walk, staff at the admin. With DJANGO_DEBUG=true it also shows the demo's logins, taken from the
demo data itself (demo.people.demo_logins) so the two never disagree; never otherwise.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from demo.people import demo_logins


def _demo_context() -> dict:
    """The logins `manage.py seed_demo` creates, and where a patient asks for a code."""
    return {
        **demo_logins(),
        "sms_send_url": reverse("api:accounts:sms-send"),
        "sms_login_url": reverse("api:accounts:login-sms"),
        "portal_login_url": reverse("portal:login"),
    }


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "platform_name": settings.PLATFORM_NAME,
        "demo": _demo_context() if settings.DEBUG else None,
    }
    return render(request, "home.html", context)

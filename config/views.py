"""The front door at `/`: what this service is and where each kind of visitor goes.

A plain page (no API): patients are pointed at the API walk until a patient portal exists,
staff at the admin. With DJANGO_DEBUG=true it also shows the demo's logins, taken from the
demo data command so the two never disagree; never otherwise.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from hospitals.management.commands import seed_demo


def demo_logins() -> dict:
    """The logins `manage.py seed_demo` creates (its default password: the command takes
    DEMO_ADMIN_PASSWORD instead when that is set)."""
    return {
        "admin_username": seed_demo.ADMIN_USERNAME,
        "password": seed_demo.DEFAULT_DEMO_PASSWORD,
        "staff": [(s["username"], s["hospital"]) for s in seed_demo._STAFF],
        "patient_phones": [p.phone for p in seed_demo._PATIENTS],
        "sms_send_url": reverse("api:accounts:sms-send"),
        "sms_login_url": reverse("api:accounts:login-sms"),
    }


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "platform_name": settings.PLATFORM_NAME,
        "demo": demo_logins() if settings.DEBUG else None,
    }
    return render(request, "home.html", context)

"""The waiting-room screen: a page per department for a TV, refreshing itself.

Who may open it: the page shows masked names (张*伟) and queue numbers, but a list of
who is at which clinic today is still personal data, so it is never public. A screen's
address carries a signature of its department (django.core.signing, own salt):
/screen/department/<id>/<signature>/. Hospital staff get that address by opening
/screen/department/<id>/ while signed in to the admin (their own hospital's departments;
platform admins any), which redirects to it; they open it on the TV once. Changing
SCREEN_LINK_VERSION in the settings revokes every screen link at once.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from appointments.workspace import department_screen_board
from hospitals.models import Department

SALT = "appointments.waiting-room-screen"


def screen_signature(department_id: int) -> str:
    value = f"{department_id}:{settings.SCREEN_LINK_VERSION}"
    return signing.Signer(salt=SALT).signature(value)


def _department(department_id: int, signature: str) -> Department:
    if not constant_time_compare(signature, screen_signature(department_id)):
        raise Http404
    return get_object_or_404(
        Department.objects.select_related("hospital"), pk=department_id
    )


@require_GET
def department_screen_link(request: HttpRequest, department_id: int) -> HttpResponse:
    """Staff signed in to the admin get the screen's signed address."""
    if not admin.site.has_permission(request):
        return redirect_to_login(request.get_full_path(), "admin:login")
    department = get_object_or_404(Department, pk=department_id)
    user = request.user
    if not user.sees_every_hospital and user.hospital_id != department.hospital_id:
        raise Http404
    return redirect(
        "screen:department",
        department_id=department.pk,
        signature=screen_signature(department.pk),
    )


@never_cache
@require_GET
def department_screen(
    request: HttpRequest, department_id: int, signature: str
) -> HttpResponse:
    department = _department(department_id, signature)
    return render(
        request,
        "screen/department.html",
        {
            "department": department,
            "board": department_screen_board(department_id=department.pk),
            "now": timezone.localtime(),
        },
    )


@never_cache
@require_GET
def department_screen_data(
    request: HttpRequest, department_id: int, signature: str
) -> JsonResponse:
    department = _department(department_id, signature)
    return JsonResponse(
        {
            "department": department.name,
            "time": timezone.localtime().strftime("%H:%M"),
            "sessions": department_screen_board(department_id=department.pk),
        },
        json_dumps_params={"ensure_ascii": False},
    )

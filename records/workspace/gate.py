"""Who may open a workspace page.

Doctors and hospital staff sign in through the admin's login, so its lockout (django-axes)
and second factor (STAFF_REQUIRE_OTP) apply here too:
- not signed in: redirected to the admin login, back here afterwards (?next=);
- signed in without a clinic role (a patient, a platform admin): 403;
- a clinic role whose session the admin would not accept (not staff, no second factor
  yet): redirected to the admin login as well.
Ids outside the user's reach (common.errors.NotFound from the selectors and records.access)
answer 404.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from accounts.permissions import user_is_clinician
from common.errors import NotFound


def clinic_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "admin:login")
        if not user_is_clinician(user):
            raise PermissionDenied
        if not admin.site.has_permission(request):
            return redirect_to_login(request.get_full_path(), "admin:login")
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from None

    return wrapped

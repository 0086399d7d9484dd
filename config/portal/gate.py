"""Who may open a portal page, and how refusals become pages.

- Catalog pages (hospitals, departments, doctors, sessions) are public, like the API's.
- A patient's own pages (`patient_page`): not signed in → the portal's SMS login, back
  here afterwards (?next=); signed in as anyone but a patient (staff signed in to the
  admin) → 403. Ids outside the patient's reach (common.errors.NotFound from the
  selectors) answer 404, never someone else's data.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import User
from common.errors import NotFound

LOGIN_URL = "portal:login"


def is_patient(user) -> bool:
    return (
        user.is_authenticated
        and user.role == User.Role.PATIENT
        and not user.is_staff
        and not user.is_superuser
    )


def not_found_as_404(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(str(error.message)) from None

    return wrapped


def patient_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    inner = not_found_as_404(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), LOGIN_URL)
        if not is_patient(request.user):
            raise PermissionDenied
        return inner(request, *args, **kwargs)

    return wrapped

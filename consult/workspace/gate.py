"""Who may open a consult page of the workspace: the doctor the consults are addressed to.

Sign-in is the admin's, as for the rest of the workspace (records.workspace.gate), so its
lockout and second factor apply: not signed in, or a session the admin would not accept
(no second factor yet) → the admin login, back here afterwards; signed in as anyone but a
doctor of a hospital (a patient, hospital staff, a platform admin) → 403. Consults are a
doctor's own conversations: unlike the queue, the desk staff have no page here (the API
shows them none either). Ids outside the doctor's reach (common.errors.NotFound from
consult.selectors) answer 404.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from accounts.permissions import user_is_doctor
from common.errors import NotFound


def doctor_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), "admin:login")
        if not user_is_doctor(user):
            raise PermissionDenied
        if not admin.site.has_permission(request):
            return redirect_to_login(request.get_full_path(), "admin:login")
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            raise Http404(error.message) from None

    return wrapped

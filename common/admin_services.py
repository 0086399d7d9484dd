"""Admin pages whose writes go through services, and how a service's refusal is shown.

A refusal (DomainError) the form can foresee shows next to the form (ServiceCheckedForm);
one that only appears when the service runs (a race under its locks) is reported with a
message (ServiceAdminMixin.run_service, run_service_action), and nothing is written.
"""

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext

from common.errors import DomainError

T = TypeVar("T")
Row = TypeVar("Row")


class ServiceCheckedForm(forms.ModelForm):
    """A model form that also runs a service's checks and shows a refusal as a form error.

    Override `service_check` to call the service's check on `self.instance` (already
    built from the form's data); a DomainError becomes a form error, a ValidationError
    goes next to the fields it names.
    """

    def service_check(self) -> None:
        pass

    def _post_clean(self) -> None:
        super()._post_clean()  # builds self.instance and runs full_clean()
        if self.errors:
            return
        try:
            self.service_check()
        except DomainError as exc:
            self.add_error(None, str(exc.message))
        except ValidationError as exc:
            self._update_errors(exc)


def report_refusal(
    modeladmin: Any, request: HttpRequest, what: object, exc: DomainError
) -> None:
    """ "张三 (No. 3): the appointment is already checked in." as an error message."""
    modeladmin.message_user(
        request,
        gettext("%(what)s: %(error)s") % {"what": what, "error": exc.message},
        level=messages.ERROR,
    )


def run_service_action(
    modeladmin: Any,
    request: HttpRequest,
    rows: Iterable[Row],
    call: Callable[[Row], Any],
    *,
    label: Callable[[Row], object] = str,
    success_message: str | None = None,
    row_success: Callable[[Any], str] | None = None,
) -> int:
    """Run `call(row)` for each row; each refusal is reported by `label(row)`.

    Then `success_message % {"count": done}` once, when any succeeded; or, with
    `row_success`, a message per success made from what the call returned. Returns how
    many succeeded.
    """
    done = 0
    for row in rows:
        try:
            result = call(row)
        except DomainError as exc:
            report_refusal(modeladmin, request, label(row), exc)
            continue
        done += 1
        if row_success is not None:
            modeladmin.message_user(
                request, row_success(result), level=messages.SUCCESS
            )
    if done and success_message is not None:
        modeladmin.message_user(
            request, success_message % {"count": done}, level=messages.SUCCESS
        )
    return done


class ServiceAdminMixin:
    """For a ModelAdmin whose saves call services instead of `obj.save()`.

    A service may refuse after the form passed (a race): `run_service` reports it as an
    error message. When adding fails so, no row exists, so the admin neither logs an
    addition nor redirects to the row's page. When adding succeeds, `adopt(obj, created)`
    lets the admin go on with its unsaved `obj` (messages, redirect, its change log).
    """

    def run_service(self, request: HttpRequest, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except DomainError as exc:
            self.message_user(request, str(exc.message), level=messages.ERROR)  # type: ignore[attr-defined]
            return None

    def adopt(self, obj: Any, created: Any) -> None:
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if obj.pk is None:
            return None
        return super().log_addition(request, obj, message)  # type: ignore[misc]

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        if obj.pk is None:
            opts = self.model._meta  # type: ignore[attr-defined]
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            )
        return super().response_add(request, obj, post_url_continue)  # type: ignore[misc]

"""The admin's 历史 page from the operation log, and how a log row reads."""

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.action_labels import action_label, summary_display
from common.models import OperationLog


def operation_log_about(
    obj: models.Model, *, related: tuple[str, ...] = ()
) -> QuerySet:
    """Log rows about `obj` and about the rows behind its reverse relations `related`.

    E.g. related=("slots", "appointments") on a clinic session also brings the rows about
    its slots and its appointments. Newest first.
    """
    about = Q(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    for name in related:
        manager = getattr(obj, name)
        label = manager.model._meta.label_lower
        ids = [str(pk) for pk in manager.values_list("pk", flat=True)]
        if ids:
            about |= Q(object_type=label, object_id__in=ids)
    return (
        OperationLog.objects.filter(about)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


class _HistoryActor:
    def __init__(self, user: models.Model | None) -> None:
        self.user = user

    def get_username(self) -> str:
        if self.user is None:
            return gettext("System")
        return self.user.get_username()  # type: ignore[attr-defined]

    def get_full_name(self) -> str:
        return ""


@dataclass
class HistoryEntry:
    """One log row in the shape of Django's history template (time, user, message)."""

    row: OperationLog

    @property
    def action_time(self):
        return self.row.created_at

    @property
    def user(self) -> _HistoryActor:
        return _HistoryActor(self.row.actor)

    def get_change_message(self) -> str:
        return operation_log_message(self.row)


def operation_log_message(row: OperationLog) -> str:
    """ "Checked in: checked in by staff", with amounts in yuan."""
    label = action_label(row.action)
    summary = summary_display(row.summary)
    return (
        gettext("%(action)s: %(summary)s") % {"action": label, "summary": summary}
        if summary
        else label
    )


class OperationLogHistoryMixin:
    """The admin's 历史 page shows the operation-log rows about the object, newest first.

    Override `operation_log_rows` to choose the rows, or set `operation_log_related` to
    reverse relations whose rows' logs belong to the object's history too.
    """

    operation_log_related: tuple[str, ...] = ()
    operation_log_per_page = 100

    def operation_log_rows(self, request: HttpRequest, obj: models.Model) -> QuerySet:
        return operation_log_about(obj, related=self.operation_log_related)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context=None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        opts = self.model._meta  # type: ignore[attr-defined]
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, opts, object_id)  # type: ignore[attr-defined]
        if not self.has_view_or_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        paginator = Paginator(
            self.operation_log_rows(request, obj), self.operation_log_per_page
        )
        page = paginator.get_page(request.GET.get(PAGE_VAR, 1))
        page.object_list = [HistoryEntry(row) for row in page.object_list]
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": _("Change history: %s") % obj,
            "subtitle": None,
            "action_list": page,
            "page_range": paginator.get_elided_page_range(page.number),
            "page_var": PAGE_VAR,
            "pagination_required": paginator.count > self.operation_log_per_page,
            "module_name": str(capfirst(opts.verbose_name_plural)),
            "object": obj,
            "opts": opts,
            "preserved_filters": self.get_preserved_filters(request),  # type: ignore[attr-defined]
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name  # type: ignore[attr-defined]
        return TemplateResponse(request, "admin/object_history.html", context)


class OperationLogActionFilter(admin.SimpleListFilter):
    """Filter by action, offering each logged code under its readable label."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin):
        codes = OperationLog.objects.values_list("action", flat=True).distinct()
        return sorted(
            ((code, action_label(code)) for code in codes), key=lambda c: c[1]
        )

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(action=self.value()) if self.value() else queryset

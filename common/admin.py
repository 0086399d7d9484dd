"""Admin pieces shared by every app: hospital scoping for staff, read-only pages, the
operation-log history page and the read-only audit log.

Staff and doctors belong to one hospital and must only ever see and edit that hospital's
rows; superusers and platform admins see everything. Any other staff account (an odd
combination such as a patient with is_staff) is treated as scoped to its own hospital, so
with no hospital it sees nothing: the mixin fails closed.
"""

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

HOSPITAL_MODEL_LABEL = "hospitals.hospital"


def user_sees_every_hospital(user: models.Model) -> bool:
    """Superusers and platform admins are not tied to one hospital."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return getattr(user, "role", None) == "platform_admin"


def _is_hospital_model(model: type[models.Model]) -> bool:
    return model._meta.label_lower == HOSPITAL_MODEL_LABEL


class HospitalScopedAdminMixin:
    """Limit a ModelAdmin to the acting staff member's hospital.

    `hospital_field` is the ORM path from the admin's model to its hospital, e.g.
    "hospital", "doctor__hospital" or "id" for the Hospital model itself.

    Foreign-key choices are limited too: a key to Hospital offers only the staff member's
    hospital, and a key to a model that has a direct `hospital` key offers only that
    hospital's rows. Other keys can be scoped with `hospital_scoped_foreign_keys`, a map
    from the key's field name to the hospital path on the related model.
    """

    hospital_field: str = "hospital"
    hospital_scoped_foreign_keys: dict[str, str] = {}

    # -- scope -------------------------------------------------------------------------

    def hospital_scope_id(self, request: HttpRequest) -> int | None:
        """The hospital the user is limited to; None when the user sees every hospital.

        Raises LookupError for a scoped user without a hospital (they see nothing).
        """
        user = request.user
        if user_sees_every_hospital(user):
            return None
        hospital_id = getattr(user, "hospital_id", None)
        if hospital_id is None:
            raise LookupError("scoped user without a hospital")
        return hospital_id

    def _scope_queryset(
        self, request: HttpRequest, queryset: QuerySet, path: str
    ) -> QuerySet:
        try:
            hospital_id = self.hospital_scope_id(request)
        except LookupError:
            return queryset.none()
        if hospital_id is None:
            return queryset
        return queryset.filter(**{path: hospital_id})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        return self._scope_queryset(request, queryset, self.hospital_field)

    def object_hospital_id(self, obj: models.Model) -> int | None:
        """Follow `hospital_field` on an instance; None when a link on the way is empty."""
        current: object = obj
        parts = self.hospital_field.split("__")
        for part in parts[:-1]:
            current = getattr(current, part, None)
            if current is None:
                return None
        last = parts[-1]
        # A foreign key's "<name>_id" attribute avoids loading the hospital row.
        value = getattr(current, f"{last}_id", None)
        if value is None:
            value = getattr(current, last, None)
        if isinstance(value, models.Model):
            value = value.pk
        return value  # type: ignore[return-value]

    def is_object_in_scope(self, request: HttpRequest, obj: models.Model) -> bool:
        try:
            hospital_id = self.hospital_scope_id(request)
        except LookupError:
            return False
        if hospital_id is None:
            return True
        return self.object_hospital_id(obj) == hospital_id

    # -- permissions -------------------------------------------------------------------

    def has_view_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        if obj is not None and not self.is_object_in_scope(request, obj):
            return False
        return super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_change_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        if obj is not None and not self.is_object_in_scope(request, obj):
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        if obj is not None and not self.is_object_in_scope(request, obj):
            return False
        return super().has_delete_permission(request, obj)  # type: ignore[misc]

    # -- form choices ------------------------------------------------------------------

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs
    ):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        path = self._hospital_path_for_related(db_field)
        if formfield is not None and path is not None:
            formfield.queryset = self._scope_queryset(request, formfield.queryset, path)
        return formfield

    def _hospital_path_for_related(self, db_field: models.ForeignKey) -> str | None:
        if db_field.name in self.hospital_scoped_foreign_keys:
            return self.hospital_scoped_foreign_keys[db_field.name]
        related = db_field.related_model
        if _is_hospital_model(related):
            return "pk"
        try:
            hospital = related._meta.get_field("hospital")
        except Exception:  # FieldDoesNotExist: the related model is not per hospital
            return None
        if hospital.is_relation and _is_hospital_model(hospital.related_model):
            return "hospital"
        return None


class ReadOnlyAdminMixin:
    """Pages that show rows and never edit them: no add, change or delete, no save buttons.

    The list-level change permission (obj=None) is kept, so actions that call services
    (retry a refund, check a patient in) still appear to those allowed to change; every
    object page is view-only, which Django renders with no submit row.
    """

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        hidden = set(self.exclude or ())  # type: ignore[attr-defined]
        return [
            field.name
            for field in self.model._meta.fields  # type: ignore[attr-defined]
            if field.name not in hidden
        ] + list(self.readonly_fields)  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        return False


class PlatformReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A read-only list for superusers and platform admins only (audit trails, outboxes).

    Such rows carry no hospital, so hospital staff cannot be limited to their own rows and
    get no access at all.
    """

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_sees_every_hospital(request.user) and super().has_module_permission(
            request
        )

    def has_view_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        return user_sees_every_hospital(request.user) and super().has_view_permission(
            request, obj
        )

    def has_change_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        return False


# -- operation-log history ---------------------------------------------------------------


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


@admin.register(OperationLog)
class OperationLogAdmin(PlatformReadOnlyAdmin):
    """The audit trail: read-only, for superusers and platform admins only.

    Log rows carry no hospital, so hospital staff cannot be limited to their own rows and
    get no access at all.
    """

    list_display = (
        "created_at",
        "action_display",
        "object_type",
        "object_id",
        "actor",
        "ip",
        "summary_display",
    )
    # No date_hierarchy: it needs the database's time-zone tables on MySQL/MariaDB.
    list_filter = (OperationLogActionFilter, "object_type", "created_at")
    search_fields = ("action", "object_type", "object_id", "summary", "ip")
    list_select_related = ("actor",)
    raw_id_fields = ("actor",)
    fields = (
        "created_at",
        "actor",
        "action_display",
        "object_type",
        "object_id",
        "summary_display",
        "ip",
    )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, obj: OperationLog) -> str:
        return action_label(obj.action)

    @admin.display(description=_("summary"))
    def summary_display(self, obj: OperationLog) -> str:
        return summary_display(obj.summary)

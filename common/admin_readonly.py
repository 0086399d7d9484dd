"""Read-only admin pages: rows are shown, never added, edited or deleted by hand."""

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from common.admin_scoping import HospitalScopedAdminMixin, PlatformOnlyMixin


class ReadOnlyAdminMixin:
    """Pages that show rows and never edit them: no add, change or delete, no save buttons.

    The list-level change permission (obj=None) is kept, so actions that call services
    (retry a refund, check a patient in) still appear to those allowed to change; every
    object page is view-only, which Django renders with no submit row.

    An admin that declares `fields` shows exactly those; otherwise every model field but
    the `exclude`d ones, then `readonly_fields` (display methods).
    """

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if self.fields is not None:  # type: ignore[attr-defined]
            return self.fields  # type: ignore[attr-defined]
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


class PlatformReadOnlyAdmin(ReadOnlyAdminMixin, PlatformOnlyMixin, admin.ModelAdmin):
    """A read-only list for superusers and platform admins only (audit trails, ledgers,
    outboxes, bills).

    Such rows carry no hospital, so hospital staff cannot be limited to their own rows and
    get no access at all. Nothing is changed here, not even by an action.
    """

    def has_change_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        return False


class ScopedReadOnlyAdmin(
    ReadOnlyAdminMixin, HospitalScopedAdminMixin, admin.ModelAdmin
):
    """A read-only list of one hospital's rows for its staff (every row for the platform):
    payments, refunds, the waitlist, the appointments desk."""

"""Admin pieces shared by every app: hospital scoping for staff, and the read-only audit log.

Staff and doctors belong to one hospital and must only ever see and edit that hospital's
rows; superusers and platform admins see everything. Any other staff account (an odd
combination such as a patient with is_staff) is treated as scoped to its own hospital, so
with no hospital it sees nothing: the mixin fails closed.
"""

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

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


class PlatformReadOnlyAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        return False


@admin.register(OperationLog)
class OperationLogAdmin(PlatformReadOnlyAdmin):
    """The audit trail: read-only, for superusers and platform admins only.

    Log rows carry no hospital, so hospital staff cannot be limited to their own rows and
    get no access at all.
    """

    list_display = (
        "created_at",
        "action",
        "object_type",
        "object_id",
        "actor",
        "ip",
        "summary",
    )
    # No date_hierarchy: it needs the database's time-zone tables on MySQL/MariaDB.
    list_filter = ("action", "object_type", "created_at")
    search_fields = ("action", "object_type", "object_id", "summary", "ip")
    list_select_related = ("actor",)
    raw_id_fields = ("actor",)
    readonly_fields = (
        "actor",
        "action",
        "object_type",
        "object_id",
        "summary",
        "ip",
        "created_at",
    )

"""Hospital scoping for the admin: who sees which hospital's rows.

Staff and doctors belong to one hospital and must only ever see and edit that hospital's
rows; users whose `sees_every_hospital` is true (superusers and platform admins) see
everything. Any other staff account (an odd combination such as a patient with is_staff)
is treated as scoped to its own hospital, so with no hospital it sees nothing: the mixin
fails closed.

common names no domain model: the hospital model comes from settings.HOSPITAL_MODEL and
the user model answers `sees_every_hospital` itself.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest


def user_sees_every_hospital(user: Any) -> bool:
    """Whether the user is tied to no hospital; false for anonymous or unknown users."""
    if not getattr(user, "is_authenticated", False):
        return False
    return getattr(user, "sees_every_hospital", False) is True


def _is_hospital_model(model: type[models.Model]) -> bool:
    return model._meta.label_lower == settings.HOSPITAL_MODEL.lower()


class HospitalScopedAdminMixin:
    """Limit a ModelAdmin to the acting staff member's hospital.

    `hospital_field` is the ORM path from the admin's model to its hospital, e.g.
    "hospital", "doctor__hospital" or "id" for the hospital model itself.

    Foreign-key choices are limited too: a key to the hospital model offers only the staff
    member's hospital, and a key to a model that has a direct `hospital` key offers only
    that hospital's rows. Other keys can be scoped with `hospital_scoped_foreign_keys`, a
    map from the key's field name to the hospital path on the related model.

    `hospital_columns` names list columns and filters that say nothing to staff of one
    hospital (the hospital is always theirs): they are shown to the platform only.
    """

    hospital_field: str = "hospital"
    hospital_scoped_foreign_keys: dict[str, str] = {}
    hospital_columns: tuple[str, ...] = ()

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

    def is_hospital_scoped(self, request: HttpRequest) -> bool:
        """True for anyone limited to one hospital (or, without one, to nothing)."""
        return not user_sees_every_hospital(request.user)

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

    # -- columns and filters -----------------------------------------------------------

    def _without_hospital_columns(self, request: HttpRequest, items: Any) -> tuple:
        items = tuple(items)
        if not (self.hospital_columns and self.is_hospital_scoped(request)):
            return items
        # A filter may be a (field, FilterClass) pair: its field name decides.
        return tuple(
            item
            for item in items
            if (item[0] if isinstance(item, tuple) else item)
            not in self.hospital_columns
        )

    def get_list_display(self, request: HttpRequest) -> tuple:
        columns = super().get_list_display(request)  # type: ignore[misc]
        return self._without_hospital_columns(request, columns)

    def get_list_filter(self, request: HttpRequest) -> tuple:
        filters = super().get_list_filter(request)  # type: ignore[misc]
        return self._without_hospital_columns(request, filters)

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
        except FieldDoesNotExist:  # the related model is not per hospital
            return None
        if hospital.is_relation and _is_hospital_model(hospital.related_model):
            return "hospital"
        return None


class PlatformOnlyMixin:
    """For a ModelAdmin whose rows carry no hospital (membership levels, patients'
    profiles, audit trails): only users who see every hospital get any access, and then
    by their model permissions. Hospital staff cannot be limited to their own rows here."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_sees_every_hospital(request.user) and super().has_module_permission(  # type: ignore[misc]
            request
        )

    def has_view_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        return user_sees_every_hospital(request.user) and super().has_view_permission(  # type: ignore[misc]
            request, obj
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return user_sees_every_hospital(request.user) and super().has_add_permission(  # type: ignore[misc]
            request, *args
        )

    def has_change_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        return user_sees_every_hospital(request.user) and super().has_change_permission(  # type: ignore[misc]
            request, obj
        )

    def has_delete_permission(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> bool:
        return user_sees_every_hospital(request.user) and super().has_delete_permission(  # type: ignore[misc]
            request, obj
        )

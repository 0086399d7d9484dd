"""Staff UI for the catalog. Every save and delete goes through hospitals.services.

Hospital staff see and change only their own hospital's rows (HospitalScopedAdminMixin).
A department's or doctor's hospital is chosen once, on creation; for hospital staff it is
always their own hospital and never shown as an editable field.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from common.admin import (
    HospitalScopedAdminMixin,
    ServiceAdminMixin,
    ServiceCheckedForm,
)
from common.forms import YuanField
from common.money import yuan_display
from common.services import Actor
from hospitals import rooms, services
from hospitals.models import ConsultingRoom, Department, Doctor, Hospital


def fee_field(*, required: bool, help_text: Any = "") -> YuanField:
    """A registration fee typed in yuan and kept in fen (a doctor's, a session's).

    0 is a free clinic (义诊). Otherwise 1 to 2000 yuan: a registration fee, even a top
    expert's (特需), stays well under 2000 yuan, and anything under 1 yuan is a fee typed
    in fen by mistake ("50" meant as 50 yuan, not 0.50), so both ends are refused.
    """
    return YuanField(
        label=_("registration fee (yuan)"),
        required=required,
        min_yuan=1,
        max_yuan=2000,
        allow_zero=True,
        help_text=help_text,
    )


class CatalogAdminForm(ServiceCheckedForm):
    """Runs the service's own rules too, so they show next to the field, not as a crash."""

    # Set by CatalogAdmin.get_form for hospital staff adding a row.
    forced_hospital_id: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.forced_hospital_id is not None and self.instance._state.adding:
            self.instance.hospital_id = self.forced_hospital_id


class DepartmentAdminForm(CatalogAdminForm):
    def service_check(self) -> None:
        services.department_validate(department=self.instance)


class DoctorAdminForm(CatalogAdminForm):
    # Staff type yuan; the model keeps fen.
    fee = fee_field(
        required=True, help_text=_("In yuan, e.g. 50 or 12.50; 0 for a free clinic.")
    )

    def service_check(self) -> None:
        services.doctor_validate(doctor=self.instance)


class CatalogAdmin(ServiceAdminMixin, HospitalScopedAdminMixin, admin.ModelAdmin):
    """Shared save/delete plumbing; subclasses name their services and fields.

    Staff see one hospital: a filter listing every hospital is noise, and so is a column
    repeating their own hospital on every row.
    """

    update_fields: frozenset[str] = frozenset()
    hospital_columns = ("hospital",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def create(self, *, actor: Actor, obj: models.Model) -> models.Model:
        raise NotImplementedError

    def update(
        self, *, actor: Actor, obj: models.Model, data: dict[str, Any]
    ) -> models.Model:
        raise NotImplementedError

    def delete(self, *, actor: Actor, obj: models.Model) -> None:
        raise NotImplementedError

    def get_form(
        self,
        request: HttpRequest,
        obj: models.Model | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None and self.is_hospital_scoped(request):
            form = type(
                form.__name__,
                (form,),
                {"forced_hospital_id": getattr(request.user, "hospital_id", None)},
            )
        return form

    def get_readonly_fields(
        self, request: HttpRequest, obj: models.Model | None = None
    ) -> tuple:
        # A row's hospital is chosen once, on creation; staff only ever add to their own.
        if obj is not None or self.is_hospital_scoped(request):
            return ("hospital",)
        return ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        if (
            self.is_hospital_scoped(request)
            and getattr(request.user, "hospital_id", None) is None
        ):
            return False
        return super().has_add_permission(request)

    def save_model(
        self,
        request: HttpRequest,
        obj: models.Model,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        actor = Actor.from_request(request)
        if change:
            # The form has already written its values onto `obj`; the service compares
            # them with a fresh copy so it knows what changed.
            fresh = type(obj)._default_manager.get(pk=obj.pk)
            data = {
                name: getattr(obj, name)
                for name in form.changed_data
                if name in self.update_fields
            }
            self.update(actor=actor, obj=fresh, data=data)
        else:
            self.adopt(obj, self.create(actor=actor, obj=obj))

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        self.delete(actor=Actor.from_request(request), obj=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = Actor.from_request(request)
        for obj in queryset.order_by("pk"):
            self.delete(actor=actor, obj=obj)


@admin.register(Hospital)
class HospitalAdmin(CatalogAdmin):
    hospital_field = "id"
    update_fields = services.HOSPITAL_UPDATE_FIELDS
    list_display = ("name", "level", "region", "phone", "is_open", "updated_at")
    list_filter = ("level", "is_open", "region")
    search_fields = ("name", "region", "address")
    ordering = ("id",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Hospital | None = None
    ) -> tuple:
        if self.is_hospital_scoped(request):
            # A hospital keeps its own page up to date, but its name and its official
            # grade (三甲 …) are what patients trust: only the platform changes them.
            return ("name", "level")
        return ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Hospitals join the platform through the platform admins. Creating one goes
        # through hospital_create, whose HospitalCreated event gives it its booking rule.
        return not self.is_hospital_scoped(request) and super().has_add_permission(
            request
        )

    def has_delete_permission(
        self, request: HttpRequest, obj: Hospital | None = None
    ) -> bool:
        return not self.is_hospital_scoped(request) and super().has_delete_permission(
            request, obj
        )

    def create(self, *, actor: Actor, obj: Hospital) -> Hospital:
        return services.hospital_create(
            actor=actor,
            name=obj.name,
            level=obj.level,
            region=obj.region,
            address=obj.address,
            phone=obj.phone,
            introduction=obj.introduction,
            logo_url=obj.logo_url,
            is_open=obj.is_open,
        )

    def update(self, *, actor: Actor, obj: Hospital, data: dict[str, Any]) -> Hospital:
        return services.hospital_update(actor=actor, hospital=obj, data=data)

    def delete(self, *, actor: Actor, obj: Hospital) -> None:
        services.hospital_delete(actor=actor, hospital=obj)


@admin.register(Department)
class DepartmentAdmin(CatalogAdmin):
    form = DepartmentAdminForm
    update_fields = services.DEPARTMENT_UPDATE_FIELDS
    list_display = ("name", "parent", "hospital", "sort_order", "is_active")
    list_filter = ("is_active", "hospital")
    search_fields = ("name", "parent__name", "hospital__name")
    list_select_related = ("hospital", "parent")
    ordering = ("hospital_id", "sort_order", "id")
    fields = ("hospital", "parent", "name", "introduction", "sort_order", "is_active")

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any
    ):
        if db_field.name == "parent":
            # Two levels only: a clinic hangs under a top-level department.
            kwargs["queryset"] = Department.objects.filter(
                parent__isnull=True
            ).select_related("hospital")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create(self, *, actor: Actor, obj: Department) -> Department:
        return services.department_create(
            actor=actor,
            hospital=obj.hospital,
            parent=obj.parent,
            name=obj.name,
            introduction=obj.introduction,
            sort_order=obj.sort_order,
            is_active=obj.is_active,
        )

    def update(
        self, *, actor: Actor, obj: Department, data: dict[str, Any]
    ) -> Department:
        return services.department_update(actor=actor, department=obj, data=data)

    def delete(self, *, actor: Actor, obj: Department) -> None:
        services.department_delete(actor=actor, department=obj)


@admin.register(Doctor)
class DoctorAdmin(CatalogAdmin):
    form = DoctorAdminForm
    update_fields = services.DOCTOR_UPDATE_FIELDS
    list_display = (
        "name",
        "title",
        "department",
        "hospital",
        "fee_display",
        "is_active",
    )
    list_filter = ("title", "is_active", "hospital")
    search_fields = ("name", "specialty", "department__name")
    list_select_related = ("hospital", "department")
    autocomplete_fields = ("department",)
    raw_id_fields = ("user",)
    ordering = ("hospital_id", "department_id", "id")
    fields = (
        "hospital",
        "department",
        "name",
        "title",
        "fee",
        "specialty",
        "introduction",
        "photo_url",
        "user",
        "max_patients_per_day",
        "is_active",
    )

    @admin.display(description=_("registration fee"), ordering="fee")
    def fee_display(self, obj: Doctor) -> str:
        return yuan_display(obj.fee)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Other admins' doctor pickers (autocomplete) read "内科 · 张三（主任医师）":
        # the department comes in the same query. (A queryset that already joins makes
        # the change list skip list_select_related, so join the same here.)
        return super().get_queryset(request).select_related(*self.list_select_related)

    def create(self, *, actor: Actor, obj: Doctor) -> Doctor:
        return services.doctor_create(
            actor=actor,
            hospital=obj.hospital,
            department=obj.department,
            name=obj.name,
            title=obj.title,
            fee=obj.fee,
            specialty=obj.specialty,
            introduction=obj.introduction,
            photo_url=obj.photo_url,
            user=obj.user,
            is_active=obj.is_active,
            max_patients_per_day=obj.max_patients_per_day,
        )

    def update(self, *, actor: Actor, obj: Doctor, data: dict[str, Any]) -> Doctor:
        return services.doctor_update(actor=actor, doctor=obj, data=data)

    def delete(self, *, actor: Actor, obj: Doctor) -> None:
        services.doctor_delete(actor=actor, doctor=obj)


class ConsultingRoomAdminForm(CatalogAdminForm):
    def clean(self) -> dict:
        cleaned = super().clean()
        department = cleaned.get("department")
        if department is not None and self.instance._state.adding:
            # A new room belongs to its department's hospital (the service does the same).
            self.instance.hospital_id = department.hospital_id
        return cleaned


@admin.register(ConsultingRoom)
class ConsultingRoomAdmin(CatalogAdmin):
    """Rooms (诊室) per department; sessions and weekly clinics pick one of them."""

    form = ConsultingRoomAdminForm
    update_fields = rooms.ROOM_UPDATE_FIELDS
    list_display = ("name", "department", "floor", "building", "hospital", "is_active")
    list_filter = (
        "is_active",
        ("department", admin.RelatedOnlyFieldListFilter),
        "hospital",
    )
    search_fields = ("name", "department__name", "building")
    list_select_related = ("hospital", "department")
    ordering = ("hospital_id", "department_id", "name")

    def get_fields(
        self, request: HttpRequest, obj: ConsultingRoom | None = None
    ) -> tuple:
        fields = ("department", "name", "floor", "building", "is_active")
        # The hospital follows from the department on creation and never changes.
        return fields if obj is None else ("hospital", *fields)

    def create(self, *, actor: Actor, obj: ConsultingRoom) -> ConsultingRoom:
        return rooms.consulting_room_create(
            actor=actor,
            department=obj.department,
            name=obj.name,
            floor=obj.floor,
            building=obj.building,
            is_active=obj.is_active,
        )

    def update(
        self, *, actor: Actor, obj: ConsultingRoom, data: dict[str, Any]
    ) -> ConsultingRoom:
        return rooms.consulting_room_update(actor=actor, room=obj, data=data)

    def delete(self, *, actor: Actor, obj: ConsultingRoom) -> None:
        rooms.consulting_room_delete(actor=actor, room=obj)

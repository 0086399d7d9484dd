"""Pieces every scheduling admin uses: the base admin with its doctor picker, the doctor
columns, local times and the date filter desk clerks ask for."""

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.admin import HospitalScopedAdminMixin, ServiceAdminMixin
from hospitals.models import ConsultingRoom, Doctor


def local_minute(value: datetime.datetime | None) -> str:
    """A stored (UTC) moment as the hospital's wall clock reads it: "2026-11-28 08:00"."""
    if value is None:
        return "-"
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


def doctor_columns(path: str = "doctor") -> tuple[Callable, Callable]:
    """The "doctor" and "department" list columns of rows whose `path` leads to a doctor.

    In a ModelAdmin: `doctor_name, department = doctor_columns("session__doctor")`.
    """

    def doctor_of(obj: Any) -> Doctor:
        for part in path.split("__"):
            obj = getattr(obj, part)
        return obj

    @admin.display(description=_("doctor"), ordering=f"{path}__name")
    def doctor_name(self: Any, obj: Any) -> str:
        return doctor_of(obj).name

    @admin.display(description=_("department"), ordering=f"{path}__department__name")
    def department(self: Any, obj: Any) -> str:
        return doctor_of(obj).department.name

    return doctor_name, department


@admin.display(description=_("hours"), ordering="start_time")
def clock_hours(self: Any, obj: Any) -> str:
    """A session's or a template's hours: "08:00-12:00"."""
    return f"{obj.start_time:%H:%M}-{obj.end_time:%H:%M}"


def room_label(room: ConsultingRoom) -> str:
    """ "心血管内科 · 门诊楼 3F 3诊室" in room pickers; a room out of use says so."""
    label = f"{room.department.name} · {room}"
    if room.is_active:
        return label
    return gettext("%(room)s (out of use)") % {"room": label}


class SchedulingAdmin(ServiceAdminMixin, HospitalScopedAdminMixin, admin.ModelAdmin):
    """Saves go through the services (ServiceAdminMixin reports a refused add).

    Doctor pickers read with the department (the doctor's name alone is ambiguous in a
    hospital), loaded in the same query.
    """

    # Staff see one hospital's rows: its column and filters would repeat it.
    hospital_columns = ("hospital", "session__hospital", "doctor__hospital")

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "doctor":
            kwargs.setdefault(
                "queryset",
                Doctor.objects.select_related("department").order_by(
                    "department__name", "name"
                ),
            )
        elif db_field.name == "room":
            # By department; scoped to the staff member's hospital by the mixin. Rooms no
            # longer in use stay listed so a session keeping one still saves; the services
            # refuse them for a new choice.
            kwargs.setdefault(
                "queryset",
                ConsultingRoom.objects.select_related("department").order_by(
                    "-is_active", "department__name", "name"
                ),
            )
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "room" and formfield is not None:
            formfield.label_from_instance = room_label
        return formfield


class LocalDateFilter(admin.SimpleListFilter):
    """今天 / 明天 / 未来7天 / 过去7天, by the hospital's local date (`date_path`)."""

    title = _("clinic date")
    parameter_name = "day"
    date_path = "date"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [
            ("today", _("Today")),
            ("tomorrow", _("Tomorrow")),
            ("next7", _("Next 7 days")),
            ("past7", _("Past 7 days")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        day = datetime.timedelta(days=1)
        ranges = {
            "today": (today, today),
            "tomorrow": (today + day, today + day),
            # today and the six days after it: a week of clinics from now
            "next7": (today, today + 6 * day),
            "past7": (today - 7 * day, today - day),
        }
        if self.value() not in ranges:
            return queryset
        first, last = ranges[self.value()]
        return queryset.filter(
            **{f"{self.date_path}__gte": first, f"{self.date_path}__lte": last}
        )


class SlotDateFilter(LocalDateFilter):
    date_path = "session__date"

"""Pieces every scheduling admin uses: the base admin with its doctor picker, the fee
field, local times and the date filter desk clerks ask for."""

import datetime
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.admin import HospitalScopedAdminMixin, ServiceAdminMixin
from common.forms import YuanField
from hospitals.models import Doctor


def fee_field(*, required: bool, help_text: Any = "") -> YuanField:
    """A registration fee typed in yuan and kept in fen.

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


def local_minute(value: datetime.datetime | None) -> str:
    """A stored (UTC) moment as the hospital's wall clock reads it: "2026-11-28 08:00"."""
    if value is None:
        return "-"
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


class SchedulingAdmin(ServiceAdminMixin, HospitalScopedAdminMixin, admin.ModelAdmin):
    """Saves go through the services (ServiceAdminMixin reports a refused add).

    Doctor pickers read with the department (the doctor's name alone is ambiguous in a
    hospital), loaded in the same query.
    """

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
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


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

"""Membership in the admin: the privileges table, the points ledger and late cancels.

The member levels are edited by platform admins only, with rates in the units people
use: the discount in 折 (9.5) and the reserved seats in percent (20). The ledger and the
late cancels are read-only; points and levels change only through the ledger, and a
platform admin grants a level on the user's page (accounts/admin/users.py).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.members import member_level_save
from accounts.models import BASIS_POINTS, LateCancelUse, MemberLevel, PointsEntry
from common.admin import user_sees_every_hospital
from common.errors import DomainError
from common.forms import ZheField
from common.money import zhe_display
from common.services import Actor


class PlatformOnlyAdmin(admin.ModelAdmin):
    """Visible to superusers and platform admins only (and then by model permission)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        allowed = super().has_module_permission(request)
        return allowed and user_sees_every_hospital(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_view_permission(request, obj)
        return allowed and user_sees_every_hospital(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        allowed = super().has_add_permission(request)
        return allowed and user_sees_every_hospital(request.user)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and user_sees_every_hospital(request.user)


class ReadOnlyAdmin(PlatformOnlyAdmin):
    """The ledger and the late cancels are history: nobody adds, edits or deletes rows."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# More than half of a session's seats held for the priority channel would leave the
# public release (most patients) with the smaller part; a larger share is a typing
# mistake (basis points typed as a percentage), not a policy.
MAX_RESERVED_PERCENT = 50


class PercentField(forms.CharField):
    """A share typed in percent ("20", "12.5", "20%"), cleaned to basis points (2000).

    (Generic enough for common/forms.py beside YuanField and ZheField.)
    """

    default_error_messages = {
        "invalid": _(
            "Enter a percentage from 0 to %(limit)s with at most two decimals, e.g. 20 or 12.5."
        ),
    }

    def __init__(self, *, max_percent: int = 100, **kwargs: Any) -> None:
        self.max_percent = max_percent
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 6}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        # Initial data is basis points from the model; bound data is what was typed.
        if isinstance(value, int) and not isinstance(value, bool):
            return _percent_text(value)
        return value

    def to_python(self, value: Any) -> int | None:
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        text = str(text).strip().rstrip("%％").strip()
        try:
            basis_points = Decimal(text) * 100
        except InvalidOperation:
            basis_points = Decimal("NaN")
        if (
            not basis_points.is_finite()
            or basis_points != basis_points.to_integral_value()
            or not 0 <= basis_points <= self.max_percent * 100
        ):
            raise forms.ValidationError(
                self.error_messages["invalid"],
                code="invalid",
                params={"limit": self.max_percent},
            )
        return int(basis_points)


def _percent_text(basis_points: int) -> str:
    return f"{Decimal(basis_points) * 100 / BASIS_POINTS:.2f}".rstrip("0").rstrip(".")


class MemberLevelAdminForm(forms.ModelForm):
    reserved_share_bp = PercentField(
        label=_("reserved seats (percent)"),
        max_percent=MAX_RESERVED_PERCENT,
        help_text=_(
            "Percent of each session's seats this level may book through the priority "
            "channel before the public release, e.g. 20; 0 for none."
        ),
    )
    discount_rate_bp = ZheField(
        label=_("discount (zhe)"),
        help_text=_(
            "In zhe (折): 10 = full price, 9.5 = 5 percent off, 8.5 = the member pays "
            "85 percent of the fee."
        ),
    )

    class Meta:
        model = MemberLevel
        fields = (
            "code",
            "name",
            "points_required",
            "priority_hours",
            "reserved_share_bp",
            "late_cancel_monthly_quota",
            "discount_rate_bp",
            "waitlist_priority",
        )


@admin.register(MemberLevel)
class MemberLevelAdmin(PlatformOnlyAdmin):
    form = MemberLevelAdminForm
    list_display = (
        "name",
        "code",
        "points_required",
        "priority_hours",
        "reserved_share",
        "late_cancel_monthly_quota",
        "discount",
        "waitlist_priority",
    )
    ordering = ("points_required",)
    search_fields = ("code", "name")
    fields = MemberLevelAdminForm.Meta.fields

    @admin.display(description=_("reserved seats"), ordering="reserved_share_bp")
    def reserved_share(self, obj: MemberLevel) -> str:
        return f"{_percent_text(obj.reserved_share_bp)}%"

    @admin.display(description=_("discount"), ordering="discount_rate_bp")
    def discount(self, obj: MemberLevel) -> str:
        return zhe_display(obj.discount_rate_bp)

    def has_delete_permission(
        self, request: HttpRequest, obj: MemberLevel | None = None
    ) -> bool:
        # Members, grants and the history point at levels: change a level, never delete it.
        return False

    def save_model(
        self, request: HttpRequest, obj: MemberLevel, form, change: bool
    ) -> None:
        try:
            member_level_save(
                actor=Actor.from_request(request),
                level=obj,
                is_new=not change,
                changed_fields=sorted(form.changed_data),
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "user",
        "delta",
        "balance_after",
        "source_type",
        "source_id",
        "reason",
    )
    list_filter = ("source_type",)
    search_fields = ("user__username", "source_id")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    ordering = ("-created_at", "-id")


@admin.register(LateCancelUse)
class LateCancelUseAdmin(ReadOnlyAdmin):
    list_display = ("used_at", "user", "appointment_number")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    ordering = ("-used_at", "-id")

    @admin.display(description=_("appointment"), ordering="appointment_id")
    def appointment_number(self, obj: LateCancelUse) -> int:
        # The id only: loading each appointment would cost a query per row.
        return obj.appointment_id

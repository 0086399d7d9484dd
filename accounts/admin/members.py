"""Membership in the admin: the privileges table, the points ledger and late cancels.

The member levels are edited by platform admins only, with rates in the units people
use: the discount in 折 (9.5) and the reserved seats in percent (20). The ledger and the
late cancels are read-only; points and levels change only through the ledger, and a
platform admin grants a level on the user's page (accounts/admin/users.py).
"""

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.members import member_level_save
from accounts.models import LateCancelUse, MemberLevel, PointsEntry
from common.admin import PlatformOnlyMixin, PlatformReadOnlyAdmin, ServiceAdminMixin
from common.forms import PercentField, ZheField, percent_text
from common.money import zhe_display
from common.services import Actor

# More than half of a session's seats held for the priority channel would leave the
# public release (most patients) with the smaller part; a larger share is a typing
# mistake (basis points typed as a percentage), not a policy.
MAX_RESERVED_PERCENT = 50


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
            "visit_priority",
        )


@admin.register(MemberLevel)
class MemberLevelAdmin(ServiceAdminMixin, PlatformOnlyMixin, admin.ModelAdmin):
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
        "visit_priority",
    )
    ordering = ("points_required",)
    search_fields = ("code", "name")
    fields = MemberLevelAdminForm.Meta.fields

    @admin.display(description=_("reserved seats"), ordering="reserved_share_bp")
    def reserved_share(self, obj: MemberLevel) -> str:
        return f"{percent_text(obj.reserved_share_bp)}%"

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
        self.run_service(
            request,
            lambda: member_level_save(
                actor=Actor.from_request(request),
                level=obj,
                is_new=not change,
                changed_fields=sorted(form.changed_data),
            ),
        )


@admin.register(PointsEntry)
class PointsEntryAdmin(PlatformReadOnlyAdmin):
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
class LateCancelUseAdmin(PlatformReadOnlyAdmin):
    list_display = ("used_at", "user", "appointment_number")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    ordering = ("-used_at", "-id")

    @admin.display(description=_("appointment"), ordering="appointment_id")
    def appointment_number(self, obj: LateCancelUse) -> int:
        # The id only: loading each appointment would cost a query per row.
        return obj.appointment_id

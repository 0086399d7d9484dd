"""Staff UI for users, patient profiles and membership.

Hospital staff and doctors see and edit only the users of their own hospital and cannot
raise anyone's powers (role, superuser, groups, permissions). Patient profiles hold
personal data: only superusers and platform admins see them, always masked.

Membership: the member levels (the privileges table) are edited by platform admins only;
the points ledger and late cancels are read-only; points and levels change only through
the ledger, and a platform admin grants a level on the user's page.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    BASIS_POINTS,
    LateCancelUse,
    MemberLevel,
    PatientProfile,
    PointsEntry,
    User,
)
from accounts.selectors import (
    ID_CARD_HASH_CONTEXT,
    profile_id_card_masked,
    profile_insurance_card_masked,
    profile_phone_masked,
    user_phone_masked,
)
from accounts.services import (
    member_level_grant,
    member_level_save,
    patient_profile_update,
    user_save_by_admin,
)
from accounts.validators import ID_CARD_RE, normalize_phone
from common.admin import HospitalScopedAdminMixin, user_sees_every_hospital
from common.crypto import lookup_hash
from common.errors import DomainError
from common.services import Actor

# Roles a hospital-scoped staff member may give: never platform admin, never patient
# (patients sign up themselves through the mini-program).
_SCOPED_ROLE_CHOICES = [
    (User.Role.DOCTOR.value, User.Role.DOCTOR.label),
    (User.Role.HOSPITAL_STAFF.value, User.Role.HOSPITAL_STAFF.label),
]


class UserChangeForm(DjangoUserChangeForm):
    def clean_phone(self) -> str | None:
        phone = self.cleaned_data.get("phone")
        # Empty is stored as NULL: the column is unique and NULLs never collide.
        return normalize_phone(phone) if phone else None


class UserGrantLevelChangeForm(UserChangeForm):
    """The change form platform admins get: it can also grant a member level."""

    grant_level = forms.ModelChoiceField(
        queryset=MemberLevel.objects.order_by("points_required"),
        required=False,
        label=_("grant member level"),
        help_text=_(
            "The member keeps at least this level whatever happens to their points."
        ),
    )


@admin.register(User)
class UserAdmin(HospitalScopedAdminMixin, DjangoUserAdmin):
    hospital_field = "hospital"
    form = UserChangeForm
    list_display = (
        "username",
        "nickname",
        "role",
        "hospital",
        "masked_phone",
        "member_level",
        "points",
        "is_staff",
        "is_active",
        "date_joined",
    )
    list_filter = ("role", "member_level", "is_staff", "is_active")
    search_fields = ("username", "nickname", "phone")
    list_select_related = ("hospital", "member_level")
    ordering = ("-id",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Platform"),
            {"fields": ("role", "hospital", "nickname", "phone", "is_active")},
        ),
        (
            _("WeChat and membership"),
            {
                "fields": (
                    "wechat_openid",
                    "wechat_unionid",
                    "member_level",
                    "member_level_floor",
                    "points",
                )
            },
        ),
        (
            _("Permissions"),
            {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "password1",
                    "password2",
                    "role",
                    "hospital",
                    "is_staff",
                ),
            },
        ),
    )

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: User) -> str:
        return user_phone_masked(obj) or "-"

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None):
        readonly = ["wechat_openid", "wechat_unionid", "last_login", "date_joined"]
        # Points and levels move only through the ledger and grants (accounts/members.py).
        readonly += ["member_level", "member_level_floor", "points"]
        if not request.user.is_superuser:
            # Only a superuser may hand out superuser status or raw permissions.
            readonly += ["is_superuser", "groups", "user_permissions"]
        return readonly

    def formfield_for_choice_field(
        self, db_field: models.Field, request: HttpRequest, **kwargs
    ):
        if db_field.name == "role" and not user_sees_every_hospital(request.user):
            kwargs["choices"] = _SCOPED_ROLE_CHOICES
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_delete_permission(
        self, request: HttpRequest, obj: User | None = None
    ) -> bool:
        # Users own appointments, payments and logs: deactivate them instead.
        return False

    def _may_grant_levels(self, request: HttpRequest, obj: User | None) -> bool:
        return obj is not None and user_sees_every_hospital(request.user)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._may_grant_levels(request, obj):
            fieldsets = (
                *fieldsets,
                (_("Grant a member level"), {"fields": ("grant_level",)}),
            )
        return fieldsets

    def get_form(self, request: HttpRequest, obj: User | None = None, **kwargs):
        if self._may_grant_levels(request, obj):
            kwargs["form"] = UserGrantLevelChangeForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        actor = Actor.from_request(request)
        user_save_by_admin(
            actor=actor,
            user=obj,
            is_new=not change,
            changed_fields=sorted(set(form.changed_data) - {"grant_level"}),
        )
        level = form.cleaned_data.get("grant_level")
        if level is not None and self._may_grant_levels(request, obj):
            try:
                member_level_grant(actor=actor, user=obj, level=level)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)


@admin.register(PatientProfile)
class PatientProfileAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "name",
        "user",
        "relation",
        "gender",
        "birth_date",
        "masked_id_card",
        "masked_phone",
        "is_active",
        "created_at",
    )
    list_filter = ("relation", "gender", "is_active")
    search_fields = ("name", "user__username")
    search_help_text = _("Name, username or a full ID-card number.")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    # The encrypted columns are never shown, not even as ciphertext.
    fields = (
        "user",
        "name",
        "relation",
        "gender",
        "birth_date",
        "masked_id_card",
        "masked_phone",
        "masked_insurance_card",
        "is_active",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "user",
        "gender",
        "birth_date",
        "masked_id_card",
        "masked_phone",
        "masked_insurance_card",
        "is_active",
        "created_at",
        "updated_at",
    )

    @admin.display(description=_("ID-card number"))
    def masked_id_card(self, obj: PatientProfile) -> str:
        return profile_id_card_masked(obj)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: PatientProfile) -> str:
        return profile_phone_masked(obj)

    @admin.display(description=_("insurance card number"))
    def masked_insurance_card(self, obj: PatientProfile) -> str:
        return profile_insurance_card_masked(obj) or "-"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ):
        term = search_term.strip().upper()
        if ID_CARD_RE.fullmatch(term):
            # Numbers are stored encrypted; find them through the lookup hash.
            digest = lookup_hash(term, context=ID_CARD_HASH_CONTEXT)
            return queryset.filter(id_card_hash=digest), False
        return super().get_search_results(request, queryset, search_term)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return user_sees_every_hospital(request.user) and super().has_module_permission(
            request
        )

    def has_view_permission(
        self, request: HttpRequest, obj: PatientProfile | None = None
    ) -> bool:
        return user_sees_every_hospital(request.user) and super().has_view_permission(
            request, obj
        )

    def has_change_permission(
        self, request: HttpRequest, obj: PatientProfile | None = None
    ) -> bool:
        if obj is not None and obj.is_active is not True:
            return False  # deleted profiles stay as they were
        return user_sees_every_hospital(request.user) and super().has_change_permission(
            request, obj
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # patients add their own profiles; IDs are checked there

    def has_delete_permission(
        self, request: HttpRequest, obj: PatientProfile | None = None
    ) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: PatientProfile, form, change: bool
    ) -> None:
        try:
            patient_profile_update(
                actor=Actor.from_request(request),
                profile=obj,
                name=obj.name,
                relation=obj.relation,
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)


# -- membership --------------------------------------------------------------------------


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


def _percent(basis_points: int) -> str:
    return f"{basis_points * 100 / BASIS_POINTS:g} %"


@admin.register(MemberLevel)
class MemberLevelAdmin(PlatformOnlyAdmin):
    list_display = (
        "name",
        "code",
        "points_required",
        "priority_hours",
        "reserved_share",
        "late_cancel_monthly_quota",
        "pays",
        "waitlist_priority",
    )
    ordering = ("points_required",)
    search_fields = ("code", "name")
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

    @admin.display(description=_("reserved seats"), ordering="reserved_share_bp")
    def reserved_share(self, obj: MemberLevel) -> str:
        return _percent(obj.reserved_share_bp)

    @admin.display(description=_("pays"), ordering="discount_rate_bp")
    def pays(self, obj: MemberLevel) -> str:
        return _percent(obj.discount_rate_bp)

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
    list_display = ("used_at", "user", "appointment_id")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    ordering = ("-used_at", "-id")

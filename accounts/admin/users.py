"""Staff UI for user accounts.

Hospital staff and doctors see and edit only the users of their own hospital and cannot
raise anyone's powers (role, superuser, groups, permissions). A new account made in the
admin is a hospital staff account by default (patients sign up in the mini-program), and
a hospital's staff member adding one gets their own hospital filled in. The page shows
what the account's role brings (accounts/roles.py), read-only.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.admin.permissions import (
    TranslatedPermissionsMixin,
    permission_label,
    permissions_by_name,
)
from accounts.members import member_level_grant
from accounts.models import MemberLevel, User
from accounts.roles import role_permissions
from accounts.selectors import user_get_by_phone, user_phone_masked
from accounts.services.staff import user_save_by_admin
from accounts.validators import MAINLAND_PHONE_RE, normalize_phone
from common.admin import (
    HospitalScopedAdminMixin,
    ServiceAdminMixin,
    user_sees_every_hospital,
)
from common.services import Actor

# Roles a hospital-scoped staff member may give: never platform admin, never patient
# (patients sign up themselves through the mini-program).
_SCOPED_ROLE_CHOICES = [
    (User.Role.DOCTOR.value, User.Role.DOCTOR.label),
    (User.Role.HOSPITAL_STAFF.value, User.Role.HOSPITAL_STAFF.label),
]


class UserChangeForm(DjangoUserChangeForm):
    # Not a column: the phone is stored as a keyed hash and an encrypted copy
    # (accounts.sensitive); UserAdmin.save_model hands it to the user.
    phone = forms.CharField(label=_("phone"), max_length=20, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("phone", self.instance.phone or "")

    def clean_phone(self) -> str | None:
        phone = self.cleaned_data.get("phone")
        if not phone:
            # Stored as NULL: the hash column is unique and NULLs never collide.
            return None
        phone = normalize_phone(phone)
        holder = user_get_by_phone(phone=phone)
        if holder is not None and holder.pk != self.instance.pk:
            raise forms.ValidationError(
                _("Another account already uses this phone number."),
                code="phone_taken",
            )
        return phone


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
class UserAdmin(
    ServiceAdminMixin,
    TranslatedPermissionsMixin,
    HospitalScopedAdminMixin,
    DjangoUserAdmin,
):
    hospital_field = "hospital"
    # Columns and filters that say nothing to someone who sees one hospital's staff
    # only: the hospital is always theirs, and membership is for patients.
    hospital_columns = ("hospital", "member_level", "points")
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
    list_filter = ("role", "hospital", "member_level", "is_staff", "is_active")
    search_fields = ("username", "nickname")
    search_help_text = _("Username, nickname or a full mobile number.")
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
            {
                "fields": (
                    "is_staff",
                    "is_superuser",
                    "role_permission_list",
                    "groups",
                    "user_permissions",
                )
            },
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

    @admin.display(description=_("permissions of the role"))
    def role_permission_list(self, obj: User) -> str:
        names = role_permissions(obj.role)
        if not names:
            return gettext("None: this role brings no admin permissions.")
        return format_html_join(
            "",
            "<div>{}</div>",
            ((permission_label(p),) for p in permissions_by_name(names)),
        )

    @admin.display(description=_("user permissions"))
    def user_permission_list(self, obj: User) -> str:
        # What a non-superuser sees instead of the read-only "user_permissions", which
        # would print the English names stored in the database.
        permissions = obj.user_permissions.select_related("content_type")
        return format_html_join(
            "", "<div>{}</div>", ((permission_label(p),) for p in permissions)
        ) or gettext("None")

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        # Accounts made here are staff accounts; patients sign up themselves.
        initial.setdefault("role", User.Role.HOSPITAL_STAFF)
        initial.setdefault("is_staff", True)
        hospital_id = getattr(request.user, "hospital_id", None)
        if self.is_hospital_scoped(request) and hospital_id is not None:
            initial.setdefault("hospital", hospital_id)
        return initial

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None):
        readonly = ["wechat_openid", "wechat_unionid", "last_login", "date_joined"]
        # Points and levels move only through the ledger and grants (accounts/members.py).
        readonly += [
            "member_level",
            "member_level_floor",
            "points",
            "role_permission_list",
        ]
        if not request.user.is_superuser:
            # Only a superuser may hand out superuser status or raw permissions.
            readonly += ["is_superuser", "groups", "user_permission_list"]
        return readonly

    def formfield_for_choice_field(
        self, db_field: models.Field, request: HttpRequest, **kwargs
    ):
        if db_field.name == "role" and self.is_hospital_scoped(request):
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
        if obj is not None and not request.user.is_superuser:
            fieldsets = tuple(
                (
                    name,
                    options
                    | {
                        "fields": tuple(
                            "user_permission_list" if f == "user_permissions" else f
                            for f in options["fields"]
                        )
                    },
                )
                for name, options in fieldsets
            )
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

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ):
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        term = search_term.strip()
        if MAINLAND_PHONE_RE.fullmatch(term):
            # Phones are stored as a keyed hash: only the full number finds its account.
            found = user_get_by_phone(phone=term)
            if found is not None:
                results = results | queryset.filter(pk=found.pk)
        return results, may_have_duplicates

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        if "phone" in form.changed_data:
            obj.phone = form.cleaned_data["phone"]
        actor = Actor.from_request(request)
        user_save_by_admin(
            actor=actor,
            user=obj,
            is_new=not change,
            changed_fields=sorted(set(form.changed_data) - {"grant_level"}),
        )
        level = form.cleaned_data.get("grant_level")
        if level is not None and self._may_grant_levels(request, obj):
            self.run_service(
                request,
                lambda: member_level_grant(actor=actor, user=obj, level=level),
            )

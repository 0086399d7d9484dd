"""Staff UI for users and patient profiles.

Hospital staff and doctors see and edit only the users of their own hospital and cannot
raise anyone's powers (role, superuser, groups, permissions). Patient profiles hold
personal data: only superusers and platform admins see them, always masked.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import PatientProfile, User
from accounts.selectors import (
    ID_CARD_HASH_CONTEXT,
    profile_id_card_masked,
    profile_insurance_card_masked,
    profile_phone_masked,
    user_phone_masked,
)
from accounts.services import patient_profile_update, user_save_by_admin
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
        "is_staff",
        "is_active",
        "date_joined",
    )
    list_filter = ("role", "is_staff", "is_active")
    search_fields = ("username", "nickname", "phone")
    list_select_related = ("hospital",)
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

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        user_save_by_admin(
            actor=Actor.from_request(request),
            user=obj,
            is_new=not change,
            changed_fields=sorted(form.changed_data),
        )


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

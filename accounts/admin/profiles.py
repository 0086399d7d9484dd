"""Patient profiles (就诊人) in the admin.

Profiles hold personal data: only superusers and platform admins see them, always masked,
and the encrypted columns are never shown, not even as ciphertext. Names are encrypted:
the search finds a profile by the exact full name (its keyed hash), never by a part.
"""

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import PatientProfile
from accounts.selectors import (
    ID_CARD_HASH_CONTEXT,
    patient_profile_search_q,
    profile_id_card_masked,
    profile_insurance_card_masked,
    profile_phone_masked,
)
from accounts.services.profiles import patient_profile_update
from accounts.validators import ID_CARD_RE
from common.admin import PlatformOnlyMixin, ServiceAdminMixin
from common.crypto import lookup_hash
from common.services import Actor


class PatientProfileForm(forms.ModelForm):
    # Not a column: the name is stored encrypted; save_model passes it to the service.
    name = forms.CharField(label=pgettext_lazy("person", "name"), max_length=50)

    class Meta:
        model = PatientProfile
        fields = ("relation",)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial.setdefault("name", self.instance.name)


@admin.register(PatientProfile)
class PatientProfileAdmin(ServiceAdminMixin, PlatformOnlyMixin, admin.ModelAdmin):
    form = PatientProfileForm
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
    search_fields = ("user__username",)
    search_help_text = _(
        "Exact full name, username, a full ID-card number or a full mobile number."
    )
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
    # Staff correct a name or the relation; the rest is the patient's own (IDs are checked
    # where patients enter them).
    readonly_fields = tuple(f for f in fields if f not in ("name", "relation"))

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
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        exact = patient_profile_search_q(search_term.strip(), path="")
        if exact is not None:
            results = results | queryset.filter(exact)
        return results, may_have_duplicates

    def has_change_permission(
        self, request: HttpRequest, obj: PatientProfile | None = None
    ) -> bool:
        if obj is not None and obj.is_active is not True:
            return False  # deleted profiles stay as they were
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # patients add their own profiles; IDs are checked there

    def has_delete_permission(
        self, request: HttpRequest, obj: PatientProfile | None = None
    ) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: PatientProfile, form, change: bool
    ) -> None:
        self.run_service(
            request,
            lambda: patient_profile_update(
                actor=Actor.from_request(request),
                profile=obj,
                name=form.cleaned_data["name"],
                relation=obj.relation,
            ),
        )

"""The doctors' consult offers: on or off, fee, daily cap, reply deadline."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from common.admin import HospitalScopedAdminMixin, ServiceAdminMixin
from common.forms import YuanField
from common.money import yuan_display
from common.services import Actor
from consult.models import ConsultOffer
from consult.services.offers import consult_offer_set


class ConsultOfferForm(forms.ModelForm):
    # Staff type yuan; the model keeps fen. 0 is a free consult.
    fee = YuanField(
        label=_("fee (yuan)"),
        min_yuan=1,
        max_yuan=100000,
        allow_zero=True,
        help_text=_("In yuan, e.g. 30 or 12.50; 0 for a free consult."),
    )

    class Meta:
        model = ConsultOffer
        fields = ("doctor", "enabled", "fee", "daily_cap", "reply_hours")


@admin.register(ConsultOffer)
class ConsultOfferAdmin(ServiceAdminMixin, HospitalScopedAdminMixin, admin.ModelAdmin):
    form = ConsultOfferForm
    hospital_field = "doctor__hospital"
    hospital_columns = ("doctor__hospital",)
    list_display = (
        "doctor",
        "department",
        "enabled",
        "fee_display",
        "daily_cap",
        "reply_hours",
        "updated_at",
    )
    list_filter = ("enabled", "doctor__hospital")
    search_fields = ("doctor__name", "doctor__department__name")
    list_select_related = ("doctor__department",)
    autocomplete_fields = ("doctor",)
    ordering = ("doctor__hospital_id", "doctor__department_id", "doctor_id")

    @admin.display(description=_("department"), ordering="doctor__department__name")
    def department(self, obj: ConsultOffer) -> str:
        return obj.doctor.department.name

    @admin.display(description=_("fee"), ordering="fee")
    def fee_display(self, obj: ConsultOffer) -> str:
        return yuan_display(obj.fee)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple:
        # An offer belongs to its doctor for good: another doctor gets their own.
        return ("doctor",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switched off, never deleted: its consults keep their terms

    def save_model(
        self,
        request: HttpRequest,
        obj: models.Model,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        offer = self.run_service(
            request,
            lambda: consult_offer_set(
                actor=Actor.from_request(request),
                doctor=obj.doctor,
                enabled=obj.enabled,
                fee=obj.fee,
                daily_cap=obj.daily_cap,
                reply_hours=obj.reply_hours,
            ),
        )
        if offer is not None and not change:
            self.adopt(obj, offer)

"""The doctor's consult forms. Limits are the consult API's (consult.apis.serializers);
the services check the rest. The fee is typed in yuan and kept in fen (common.money)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from common.money import InvalidAmount, fen_to_yuan, yuan_to_fen
from consult.models import Consult, ConsultOffer

FEE_MAX_FEN = 10_000_000  # the API's limit: ¥100,000.00


class OfferForm(forms.Form):
    enabled = forms.BooleanField(label=_("Take online consults"), required=False)
    fee = forms.CharField(
        label=_("Fee (yuan)"),
        max_length=16,
        help_text=_("0 for free consults. Up to two decimals, e.g. 30 or 12.50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    daily_cap = forms.IntegerField(
        label=_("Consults per day"), min_value=1, max_value=1000
    )
    reply_hours = forms.IntegerField(
        label=_("Reply within (hours)"), min_value=1, max_value=168
    )

    @classmethod
    def of(cls, offer: ConsultOffer) -> "OfferForm":
        return cls(
            initial={
                "enabled": offer.enabled,
                "fee": fen_to_yuan(offer.fee),
                "daily_cap": offer.daily_cap,
                "reply_hours": offer.reply_hours,
            }
        )

    def clean_fee(self) -> int:
        """The fee in fen."""
        try:
            fen = yuan_to_fen(self.cleaned_data["fee"])
        except InvalidAmount:
            raise forms.ValidationError(
                _("Enter an amount in yuan, like 30 or 12.50."), code="invalid_amount"
            ) from None
        if fen > FEE_MAX_FEN:
            raise forms.ValidationError(
                _("The fee is at most %(max)s yuan."),
                code="fee_too_high",
                params={"max": fen_to_yuan(FEE_MAX_FEN)},
            )
        return fen


class QuickReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Quick reply"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), *Consult.Status.choices],
        required=False,
    )

"""The portal's forms. Limits are the REST API's; the services check everything again."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from accounts.models import PatientProfile
from consult.services.messages import MESSAGE_MAX_LENGTH
from scheduling.models import ClinicType

# The longest a date query may reach ahead: far beyond any booking window, short of
# dates the database cannot store.
MAX_DAYS_AHEAD = 366


class LoginForm(forms.Form):
    """Phone and SMS code; "send" needs only the phone (the view decides which)."""

    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    code = forms.RegexField(
        label=_("SMS code"),
        regex=r"^[0-9]{6}$",
        required=False,
        error_messages={"invalid": _("Enter the 6-digit code.")},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "maxlength": 6,
            }
        ),
    )

    def require_code(self) -> bool:
        """For "log in": the code is needed too (after is_valid)."""
        if self.cleaned_data.get("code"):
            return True
        self.add_error("code", _("Enter the 6-digit code."))
        return False


class HospitalSearchForm(forms.Form):
    q = forms.CharField(label=_("Hospital name"), max_length=50, required=False)


class DoctorSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Doctor, department or specialty"), max_length=50, required=False
    )
    clinic_type = forms.ChoiceField(
        label=_("Clinic type"),
        choices=[("", _("All clinic types")), *ClinicType.choices],
        required=False,
    )
    date = forms.DateField(
        label=_("With free seats on"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_date(self) -> datetime.date | None:
        return _date_in_range(self.cleaned_data.get("date"))


class SessionFilterForm(forms.Form):
    date = forms.DateField(
        label=_("Date"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    clinic_type = forms.ChoiceField(
        label=_("Clinic type"),
        choices=[("", _("All clinic types")), *ClinicType.choices],
        required=False,
    )

    def clean_date(self) -> datetime.date | None:
        return _date_in_range(self.cleaned_data.get("date"))


def _date_in_range(value: datetime.date | None) -> datetime.date | None:
    if value is None:
        return None
    today = timezone.localdate()
    if not today <= value <= today + datetime.timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError(_("Choose a date from today on."))
    return value


class BookForm(forms.Form):
    profile = forms.TypedChoiceField(
        label=pgettext_lazy("portal", "Patient"), coerce=int
    )

    def __init__(self, *args, profiles, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["profile"].choices = [
            (profile.pk, f"{profile.name} ({profile.get_relation_display()})")
            for profile in profiles
        ]
        self.fields["profile"].widget = forms.RadioSelect()
        self.fields["profile"].widget.choices = self.fields["profile"].choices


class PayForm(forms.Form):
    channel = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)

    def __init__(self, *args, channels: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = channels
        if len(channels) == 1:
            self.fields["channel"].initial = channels[0][0]


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), max_length=200, required=False
    )


class RescheduleForm(forms.Form):
    """No fields (the slot is in the URL): the service's refusals are shown on it."""


class ProfileForm(forms.Form):
    name = forms.CharField(
        label=_("Full name"),
        max_length=50,
        widget=forms.TextInput({"autocomplete": "name"}),
    )
    relation = forms.ChoiceField(
        label=_("Relation to you"), choices=PatientProfile.Relation.choices
    )
    id_card_no = forms.CharField(
        label=_("ID-card number"),
        max_length=18,
        help_text=_("Gender and birth date are taken from it."),
    )
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    insurance_card_no = forms.CharField(
        label=_("Medical insurance card number (optional)"),
        max_length=32,
        required=False,
    )


# -- online consults (在线问诊) ------------------------------------------------------------
# Limits are the consult API's (consult.apis.serializers); the services check again.


class ConsultCreateForm(BookForm):
    """Whom the consult is for (one of the patient's 就诊人) and the problem."""

    problem = forms.CharField(
        label=_("Describe the problem"),
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("Symptoms, since when, medicines taken, questions for the doctor."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class ConsultRateForm(forms.Form):
    stars = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # labels in the request's language: 5 stars first
        self.fields["stars"].choices = [
            (n, ngettext("%(n)d star", "%(n)d stars", n) % {"n": n})
            for n in range(5, 0, -1)
        ]

"""The visit record's form: the text fields, diagnosis rows and prescription rows (Django
formsets: blank rows are left out, so the page works without JavaScript), and the reason
of a correction. The limits are the records API's (records.apis.serializers); the content
is then checked again by the service (records.services.content)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from records.icd import icd10_code_is_valid
from records.services.content import PRESCRIPTION_FIELDS, TEXT_FIELDS, RecordContent

MAX_DIAGNOSES = 20
MAX_PRESCRIPTIONS = 50


def _text(label, max_length: int, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class RecordForm(forms.Form):
    chief_complaint = _text(_("Chief complaint"), 500, rows=2)
    present_illness = _text(_("Present illness"), 5000)
    history = _text(_("History"), 5000)
    examination = _text(_("Examination"), 5000)
    orders = _text(_("Orders"), 2000)
    advice = _text(_("Advice"), 2000)
    follow_up_date = forms.DateField(
        label=_("Follow-up date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class DiagnosisForm(forms.Form):
    code = forms.CharField(
        label=_("ICD-10 code"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"size": 8, "placeholder": "J06.9"}),
    )
    text = forms.CharField(label=_("Diagnosis"), max_length=200, required=False)

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if code and not icd10_code_is_valid(code):
            raise forms.ValidationError(
                _("%(code)s is not an ICD-10 code (like J06.9)."),
                code="invalid_icd10_code",
                params={"code": code},
            )
        return code


class PrescriptionForm(forms.Form):
    drug = forms.CharField(label=_("Drug"), max_length=100, required=False)
    dose = forms.CharField(label=_("Dose"), max_length=50, required=False)
    route = forms.CharField(label=_("Route"), max_length=30, required=False)
    frequency = forms.CharField(label=_("Frequency"), max_length=30, required=False)
    days = forms.IntegerField(
        label=_("Days"), min_value=1, max_value=365, required=False
    )
    quantity = forms.CharField(label=_("Quantity"), max_length=30, required=False)

    def clean(self) -> dict:
        data = super().clean()
        filled = any(data.get(name) not in (None, "") for name in PRESCRIPTION_FIELDS)
        if filled and not data.get("drug"):
            self.add_error("drug", _("Name the drug."))
        if filled and data.get("days") is None:
            self.add_error("days", _("Say for how many days."))
        return data


DiagnosisFormSet = forms.formset_factory(
    DiagnosisForm, extra=2, max_num=MAX_DIAGNOSES, validate_max=True
)
PrescriptionFormSet = forms.formset_factory(
    PrescriptionForm, extra=2, max_num=MAX_PRESCRIPTIONS, validate_max=True
)


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _rows(formset: forms.BaseFormSet, names: tuple[str, ...]) -> list[dict]:
    rows = []
    for form in formset:
        data = getattr(form, "cleaned_data", None) or {}
        row = {name: data.get(name) for name in names}
        if any(value not in (None, "") for value in row.values()):
            rows.append({k: "" if v is None else v for k, v in row.items()})
    return rows


def content_from_forms(
    form: RecordForm,
    diagnoses: forms.BaseFormSet,
    prescriptions: forms.BaseFormSet,
) -> RecordContent:
    """The content of valid forms, blank rows left out."""
    data = form.cleaned_data
    return RecordContent(
        **{name: data[name] for name in TEXT_FIELDS},
        diagnoses=_rows(diagnoses, ("code", "text")),
        prescriptions=_rows(prescriptions, PRESCRIPTION_FIELDS),
        follow_up_date=data["follow_up_date"],
    )


def forms_for(data, version=None) -> tuple[RecordForm, forms.BaseFormSet, ...]:
    """The three forms, bound to POST data, or filled from a version's content."""
    if data is not None:
        return (
            RecordForm(data),
            DiagnosisFormSet(data, prefix="dx"),
            PrescriptionFormSet(data, prefix="rx"),
        )
    initial = {}
    diagnoses, prescriptions = [], []
    if version is not None:
        initial = {name: getattr(version, name) for name in TEXT_FIELDS}
        initial["follow_up_date"] = version.follow_up_date
        diagnoses, prescriptions = version.diagnoses, version.prescriptions
    return (
        RecordForm(initial=initial),
        DiagnosisFormSet(initial=diagnoses, prefix="dx"),
        PrescriptionFormSet(initial=prescriptions, prefix="rx"),
    )

"""What the queue and simulation pages share: who may open them, and the department form.

Hospital staff and doctors analyse their own hospital's departments; superusers and
platform admins any hospital's. Anyone else the admin lets in (a staff account without a
hospital role) gets 403. A department of another hospital is not a choice of the form, so
asking for it answers "not a valid choice", never its figures.
"""

import datetime

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics.dashboard import user_hospital_scope
from analytics.queue_selectors import departments_in_scope
from hospitals.models import Department

DEFAULT_WEEKS = 8
MAX_RANGE_DAYS = 366


def page_hospital_scope(request: HttpRequest) -> int | None:
    """The hospital the user may analyse (None: every hospital); 403 for anyone else."""
    scope = user_hospital_scope(request.user)
    if scope is None:
        raise PermissionDenied
    return scope[0]


def default_range(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last eight full weeks, up to yesterday (today's clinics are not over)."""
    end = today - datetime.timedelta(days=1)
    return end - datetime.timedelta(days=7 * DEFAULT_WEEKS - 1), end


class DepartmentChoice(forms.ModelChoiceField):
    show_hospital = False  # platform users choose among every hospital's departments

    def label_from_instance(self, obj: Department) -> str:
        name = f"{obj.parent.name} / {obj.name}" if obj.parent_id else obj.name
        return f"{obj.hospital.name} · {name}" if self.show_hospital else name


class DepartmentRangeForm(forms.Form):
    department = DepartmentChoice(
        queryset=Department.objects.none(), label=_("Department")
    )
    # A date input takes ISO dates only, whatever the language's own date format.
    start = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def __init__(self, data=None, *, hospital_id: int | None) -> None:
        start, end = default_range(timezone.localdate())
        initial = {"start": start, "end": end}
        if data is not None:
            # A link that names only the department (?department=7) takes the defaults
            # for everything it leaves out, as the empty form shows them.
            data = data.copy()
            for name, field in self.base_fields.items():
                default = initial.get(name, field.initial)
                if name not in data and default is not None:
                    data[name] = default
        super().__init__(data, initial=initial)
        department = self.fields["department"]
        department.queryset = departments_in_scope(hospital_id)
        department.show_hospital = hospital_id is None

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The start date is after the end date."))
            if (end - start).days >= MAX_RANGE_DAYS:
                raise forms.ValidationError(
                    _("Choose at most %(days)d days.") % {"days": MAX_RANGE_DAYS}
                )
        return cleaned

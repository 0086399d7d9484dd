"""Forms of the session page: an extra session, an edit, extra slots and 加号."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.admin import ServiceCheckedForm
from common.errors import DomainError
from hospitals.admin import fee_field
from scheduling import rules, services
from scheduling.models import ClinicSession, ScheduleTemplate, Slot
from scheduling.services.rooms import room_active_check


def session_is_open(
    session: ClinicSession, now: datetime.datetime | None = None
) -> bool:
    """Open and not over: slots and seats may still be added."""
    now = now or timezone.now()
    return (
        session.status == ClinicSession.Status.OPEN
        and rules.local_datetime(session.date, session.end_time) > now
    )


class SessionAddForm(ServiceCheckedForm):
    """An extra session (临时加诊): the slot shape is asked for, the fee may be left empty."""

    fee = fee_field(
        required=False,
        help_text=_("Empty uses the doctor's fee; 0 is a free clinic."),
    )
    slot_minutes = forms.IntegerField(
        label=_("slot length (minutes)"),
        initial=services.DEFAULT_SLOT_MINUTES,
        min_value=5,
        max_value=ScheduleTemplate.MAX_SLOT_MINUTES,
    )
    seats_per_slot = forms.IntegerField(
        label=_("seats per slot"),
        initial=services.DEFAULT_SEATS_PER_SLOT,
        min_value=1,
        max_value=ScheduleTemplate.MAX_SEATS_PER_SLOT,
    )

    class Meta:
        model = ClinicSession
        fields = (
            "doctor",
            "date",
            "period",
            "start_time",
            "end_time",
            "clinic_type",
            "room",
            "fee",
            "place",
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        doctor = cleaned.get("doctor")
        if doctor is not None:
            # The model needs both; the service fills them the same way.
            self.instance.hospital_id = doctor.hospital_id
            if cleaned.get("fee") is None:
                cleaned["fee"] = doctor.fee
        return cleaned

    def service_check(self) -> None:
        data = self.cleaned_data
        services.session_create_check(doctor=data["doctor"], date=data["date"])
        ScheduleTemplate(
            doctor=data["doctor"],
            weekday=data["date"].weekday(),
            period=data["period"],
            start_time=data["start_time"],
            end_time=data["end_time"],
            slot_minutes=data["slot_minutes"],
            seats_per_slot=data["seats_per_slot"],
        ).clean()
        services.session_overlap_check(
            doctor_id=data["doctor"].pk,
            date=data["date"],
            start_time=data["start_time"],
            end_time=data["end_time"],
        )
        room = data.get("room")
        if room is not None:
            # The service checks again under the room's lock; this shows it early.
            room_active_check(room=room)
            services.room_free_check(
                room=room,
                date=data["date"],
                start_time=data["start_time"],
                end_time=data["end_time"],
            )


class SessionChangeForm(ServiceCheckedForm):
    fee = fee_field(required=True)

    class Meta:
        model = ClinicSession
        fields = ("start_time", "end_time", "clinic_type", "room", "fee", "place")

    def service_check(self) -> None:
        if not self.has_changed():
            return
        fresh = ClinicSession.objects.get(pk=self.instance.pk)
        services.session_edit_check(session=fresh)
        times_changed = bool({"start_time", "end_time"} & set(self.changed_data))
        if times_changed:
            services.session_overlap_check(
                doctor_id=fresh.doctor_id,
                date=fresh.date,
                start_time=self.cleaned_data["start_time"],
                end_time=self.cleaned_data["end_time"],
                exclude_pk=fresh.pk,
            )
        room = self.cleaned_data.get("room")
        if room is not None and (times_changed or "room" in self.changed_data):
            if "room" in self.changed_data:
                room_active_check(room=room)
            services.room_free_check(
                room=room,
                date=fresh.date,
                start_time=self.cleaned_data["start_time"],
                end_time=self.cleaned_data["end_time"],
                exclude_pk=fresh.pk,
            )


class SlotAddInlineForm(forms.ModelForm):
    """An extra time slot typed as hours on the session's date (no date, no session id)."""

    start = forms.TimeField(label=_("start"))
    end = forms.TimeField(label=_("end"))
    seats = forms.IntegerField(
        label=_("seats"), min_value=1, max_value=services.MAX_SLOT_CAPACITY
    )

    class Meta:
        model = Slot
        fields = ()

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        session = self.instance.session
        starts_at = rules.local_datetime(session.date, cleaned["start"])
        ends_at = rules.local_datetime(session.date, cleaned["end"])
        try:
            services.session_add_slot_check(
                session=session,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=cleaned["seats"],
            )
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from exc
        cleaned["starts_at"], cleaned["ends_at"] = starts_at, ends_at
        return cleaned


class AddSeatsForm(forms.Form):
    """加号 on the session page: which slot, how many seats."""

    slot = forms.ModelChoiceField(label=_("time slot"), queryset=Slot.objects.none())
    seats = forms.IntegerField(
        label=_("seats to add"), min_value=1, max_value=services.MAX_SLOT_CAPACITY
    )

    def __init__(self, *args, session: ClinicSession, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A slot reads as its local hours and booked/seats (Slot.__str__).
        self.fields["slot"].queryset = session.slots.filter(
            ends_at__gt=timezone.now()
        ).order_by("starts_at", "pk")

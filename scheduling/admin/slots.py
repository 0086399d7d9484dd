"""Time slots (分时段): the list across sessions, an extra slot, and 加号 on several slots."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.admin import ServiceCheckedForm, run_service_action
from common.services import Actor
from scheduling import services
from scheduling.admin.shared import (
    SchedulingAdmin,
    SlotDateFilter,
    doctor_columns,
    local_minute,
)
from scheduling.models import Slot


class SlotAddForm(ServiceCheckedForm):
    class Meta:
        model = Slot
        fields = ("session", "starts_at", "ends_at", "capacity")

    def service_check(self) -> None:
        services.session_add_slot_check(
            session=self.cleaned_data["session"],
            starts_at=self.cleaned_data["starts_at"],
            ends_at=self.cleaned_data["ends_at"],
            capacity=self.cleaned_data["capacity"],
        )


class SlotActionForm(ActionForm):
    # Free text here: the changelist validates this form before it runs any action, and
    # an invalid number would only say "no action selected". add_seats checks it.
    seats = forms.CharField(label=_("Seats to add"), required=False, max_length=10)


SEATS_FIELD = forms.IntegerField(min_value=1, max_value=services.MAX_SLOT_CAPACITY)


@admin.register(Slot)
class SlotAdmin(SchedulingAdmin):
    """Time slots. An extra slot is easiest added on its session's page; 加号 works here
    on several slots at once."""

    hospital_field = "session__hospital"
    list_display = (
        "starts",
        "ends",
        "doctor_name",
        "department",
        "period",
        "capacity",
        "booked",
        "seats_left",
        "queue_start",
    )
    list_filter = (
        SlotDateFilter,
        ("session__hospital", admin.RelatedOnlyFieldListFilter),
        "session__status",
    )
    search_fields = ("session__doctor__name", "session__doctor__department__name")
    list_select_related = ("session__doctor__department",)
    # A searchable picker (doctor, date, period, hours) instead of the session's number.
    autocomplete_fields = ("session",)
    ordering = ("starts_at", "id")
    form = SlotAddForm
    actions = ("add_seats",)
    action_form = SlotActionForm
    fields = ("session", "starts_at", "ends_at", "capacity")

    @admin.display(description=_("starts at"), ordering="starts_at")
    def starts(self, obj: Slot) -> str:
        return local_minute(obj.starts_at)

    @admin.display(description=_("ends at"), ordering="ends_at")
    def ends(self, obj: Slot) -> str:
        return f"{timezone.localtime(obj.ends_at):%H:%M}"

    doctor_name, department = doctor_columns("session__doctor")

    @admin.display(description=_("period"), ordering="session__period")
    def period(self, obj: Slot) -> str:
        return f"{obj.session.date} {obj.session.get_period_display()}"

    @admin.display(description=_("seats left"))
    def seats_left(self, obj: Slot) -> int:
        return obj.seats_left

    def get_fields(self, request: HttpRequest, obj: Slot | None = None) -> tuple:
        if obj is None:
            return self.fields
        return ("session", "starts", "ends", "capacity", "booked", "queue_start")

    def get_readonly_fields(self, request: HttpRequest, obj: Slot | None = None):
        return () if obj is None else self.get_fields(request, obj)

    def has_change_permission(
        self, request: HttpRequest, obj: Slot | None = None
    ) -> bool:
        # Every field of a slot is read-only once it exists (seats change by 加号, through
        # the service), so its page is a view with no 保存 button.
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: Slot | None = None
    ) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: Slot, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            return  # every field is read-only on change
        data = form.cleaned_data
        created = self.run_service(
            request,
            lambda: services.session_add_slot(
                actor=Actor.from_request(request),
                session=data["session"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
            ),
        )
        if created is not None:
            self.adopt(obj, created)

    @admin.action(
        description=_("Add seats to the selected slots"), permissions=["change"]
    )
    def add_seats(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            seats = SEATS_FIELD.clean(request.POST.get("seats", "").strip())
        except ValidationError:
            seats = None
        if seats is None:
            self.message_user(
                request,
                _("Enter how many seats to add, between 1 and %(highest)s.")
                % {"highest": services.MAX_SLOT_CAPACITY},
                level=messages.ERROR,
            )
            return
        actor = Actor.from_request(request)
        run_service_action(
            self,
            request,
            queryset.order_by("starts_at", "pk"),
            lambda slot: services.slot_add_seats(actor=actor, slot=slot, seats=seats),
            row_success=lambda slot: (
                _("%(slot)s: %(seats)d seats added.") % {"slot": slot, "seats": seats}
            ),
        )

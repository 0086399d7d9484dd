"""Staff UI for booking rules, weekly templates, sessions and slots.

Every write goes through scheduling.services (or appointments.services for 停诊). Hospital
staff see and change only their own hospital's rows (HospitalScopedAdminMixin). Rules the
services check are run in the forms too, so a refusal shows next to the form; a refusal
that only appears under the service's locks (a race) is reported with message_user.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin import HospitalScopedAdminMixin
from common.errors import DomainError
from common.services import Actor
from scheduling import services
from scheduling.models import BookingRule, ClinicSession, ScheduleTemplate, Slot


def _yuan(fen: int | None) -> str:
    if fen is None:
        return "-"
    return f"{fen // 100}.{fen % 100:02d}"


class ServiceCheckedForm(forms.ModelForm):
    """A model form that also runs a service's checks and shows a refusal as a form error."""

    def service_check(self) -> None:
        pass

    def _post_clean(self) -> None:
        super()._post_clean()  # builds self.instance and runs full_clean()
        if self.errors:
            return
        try:
            self.service_check()
        except DomainError as exc:
            self.add_error(None, str(exc.message))
        except ValidationError as exc:
            self._update_errors(exc)


class SchedulingAdmin(HospitalScopedAdminMixin, admin.ModelAdmin):
    """Adding may fail in the service after the form passed (a race): then no row exists,
    so the admin must neither log an addition nor redirect to the row's page."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if obj.pk is None:
            return None
        return super().log_addition(request, obj, message)

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        if obj.pk is None:
            opts = self.model._meta
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            )
        return super().response_add(request, obj, post_url_continue)

    def _adopt(self, obj: Any, created: Any) -> None:
        """The admin goes on with `obj` (messages, redirect, its own change log)."""
        obj.pk = created.pk
        obj._state.adding = False
        obj._state.db = created._state.db


# -- booking rules -------------------------------------------------------------------------


@admin.register(BookingRule)
class BookingRuleAdmin(SchedulingAdmin):
    hospital_field = "hospital"
    list_display = (
        "hospital",
        "window_days",
        "release_time",
        "cutoff",
        "cancel_deadline_minutes",
        "hold_minutes",
        "checkin_open_minutes",
        "max_active_per_day",
        "max_active_per_week",
    )
    list_select_related = ("hospital",)
    search_fields = ("hospital__name",)
    fieldsets = (
        (None, {"fields": ("hospital",)}),
        (_("Release"), {"fields": ("window_days", "release_time")}),
        (
            _("Stop booking"),
            {"fields": ("cutoff_mode", "cutoff_minutes", "cutoff_time")},
        ),
        (
            _("Cancellation, payment and check-in"),
            {
                "fields": (
                    "cancel_deadline_minutes",
                    "hold_minutes",
                    "checkin_open_minutes",
                )
            },
        ),
        (
            _("Per-patient caps"),
            {"fields": ("max_active_per_day", "max_active_per_week")},
        ),
        (
            _("Visit reminders"),
            {"fields": ("reminder_evening_time", "reminder_hours_before")},
        ),
    )

    @admin.display(description=_("stop-booking cutoff"))
    def cutoff(self, obj: BookingRule) -> str:
        if obj.cutoff_mode == BookingRule.CutoffMode.PREVIOUS_EVENING:
            return _("%(time)s on the evening before") % {
                "time": obj.cutoff_time.strftime("%H:%M")
            }
        return _("%(minutes)s minutes before the slot") % {
            "minutes": obj.cutoff_minutes
        }

    def get_readonly_fields(
        self, request: HttpRequest, obj: BookingRule | None = None
    ) -> tuple:
        return ("hospital",) if obj is not None else ()

    def has_delete_permission(
        self, request: HttpRequest, obj: BookingRule | None = None
    ) -> bool:
        return False  # a hospital always has a rule: edit it instead

    def save_model(
        self, request: HttpRequest, obj: BookingRule, form: forms.Form, change: bool
    ) -> None:
        services.booking_rule_save(actor=Actor.from_request(request), rule=obj)


# -- weekly templates ------------------------------------------------------------------------


@admin.register(ScheduleTemplate)
class ScheduleTemplateAdmin(SchedulingAdmin):
    hospital_field = "doctor__hospital"
    list_display = (
        "doctor",
        "hospital",
        "weekday",
        "period",
        "start_time",
        "end_time",
        "slot_minutes",
        "seats_per_slot",
        "fee_yuan",
        "is_active",
    )
    list_filter = (
        "is_active",
        "weekday",
        "period",
        ("doctor__hospital", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("doctor__name", "doctor__department__name")
    list_select_related = ("doctor__hospital",)
    ordering = ("doctor_id", "weekday", "start_time")
    fields = (
        "doctor",
        "weekday",
        "period",
        "start_time",
        "end_time",
        "slot_minutes",
        "seats_per_slot",
        "fee",
        "is_active",
    )

    @admin.display(description=_("hospital"), ordering="doctor__hospital")
    def hospital(self, obj: ScheduleTemplate) -> str:
        return str(obj.doctor.hospital)

    @admin.display(description=_("fee (yuan)"), ordering="fee")
    def fee_yuan(self, obj: ScheduleTemplate) -> str:
        return _yuan(obj.fee) if obj.fee is not None else _("doctor's fee")

    def has_delete_permission(
        self, request: HttpRequest, obj: ScheduleTemplate | None = None
    ) -> bool:
        return False  # untick "active" instead; generated sessions keep their link

    def save_model(
        self,
        request: HttpRequest,
        obj: ScheduleTemplate,
        form: forms.Form,
        change: bool,
    ) -> None:
        services.schedule_template_save(actor=Actor.from_request(request), template=obj)


# -- sessions ------------------------------------------------------------------------------


class SlotInline(admin.TabularInline):
    model = Slot
    fields = readonly_fields = (
        "starts_at",
        "ends_at",
        "capacity",
        "booked",
        "queue_start",
    )
    ordering = ("starts_at", "id")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # extra slots are added from the slot list, through the service


class SessionAddForm(ServiceCheckedForm):
    """An extra session (临时加诊): the slot shape is asked for, the fee may be left empty."""

    fee = forms.IntegerField(
        label=_("fee (fen)"),
        min_value=0,
        required=False,
        help_text=_("Empty uses the doctor's fee."),
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
        fields = ("doctor", "date", "period", "start_time", "end_time", "fee", "place")

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
        services.session_create_check(
            doctor=self.cleaned_data["doctor"], date=self.cleaned_data["date"]
        )
        shape = ScheduleTemplate(
            doctor=self.cleaned_data["doctor"],
            weekday=self.cleaned_data["date"].weekday(),
            period=self.cleaned_data["period"],
            start_time=self.cleaned_data["start_time"],
            end_time=self.cleaned_data["end_time"],
            slot_minutes=self.cleaned_data["slot_minutes"],
            seats_per_slot=self.cleaned_data["seats_per_slot"],
        )
        shape.clean()


class SessionChangeForm(ServiceCheckedForm):
    class Meta:
        model = ClinicSession
        fields = ("start_time", "end_time", "fee", "place")

    def service_check(self) -> None:
        if self.has_changed():
            fresh = ClinicSession.objects.get(pk=self.instance.pk)
            services.session_edit_check(session=fresh)


class SessionActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason (for 停诊)"), required=False, max_length=255
    )


@admin.register(ClinicSession)
class ClinicSessionAdmin(SchedulingAdmin):
    """Sessions per doctor and date, with booked / capacity over all slots."""

    hospital_field = "hospital"
    list_display = (
        "date",
        "period",
        "doctor",
        "hospital",
        "time_range",
        "booked_of_capacity",
        "fee_yuan",
        "status",
        "is_released",
    )
    list_filter = (
        ("date", admin.DateFieldListFilter),
        ("hospital", admin.RelatedOnlyFieldListFilter),
        "status",
        "period",
        "is_released",
    )
    search_fields = ("doctor__name", "place")
    list_select_related = ("doctor", "hospital")
    date_hierarchy = "date"
    ordering = ("date", "start_time", "doctor_id")
    inlines = (SlotInline,)
    actions = ("stop_sessions",)
    action_form = SessionActionForm
    readonly_on_change = (
        "doctor",
        "hospital",
        "date",
        "period",
        "status",
        "stop_reason",
        "release_at",
        "is_released",
        "template",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                booked_total=Sum("slots__booked"), capacity_total=Sum("slots__capacity")
            )
        )

    def get_form(
        self,
        request: HttpRequest,
        obj: ClinicSession | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm]:
        kwargs["form"] = SessionChangeForm if obj is not None else SessionAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(
        self, request: HttpRequest, obj: ClinicSession | None = None
    ) -> tuple:
        if obj is None:
            return (
                "doctor",
                "date",
                "period",
                "start_time",
                "end_time",
                "fee",
                "place",
                "slot_minutes",
                "seats_per_slot",
            )
        return (*self.readonly_on_change, "start_time", "end_time", "fee", "place")

    def get_readonly_fields(
        self, request: HttpRequest, obj: ClinicSession | None = None
    ) -> tuple:
        return self.readonly_on_change if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: ClinicSession | None) -> tuple:
        return self.inlines if obj is not None else ()

    @admin.display(description=_("time"))
    def time_range(self, obj: ClinicSession) -> str:
        return f"{obj.start_time:%H:%M}-{obj.end_time:%H:%M}"

    @admin.display(description=_("booked / seats"), ordering="booked_total")
    def booked_of_capacity(self, obj: ClinicSession) -> str:
        return f"{obj.booked_total or 0}/{obj.capacity_total or 0}"

    @admin.display(description=_("fee (yuan)"), ordering="fee")
    def fee_yuan(self, obj: ClinicSession) -> str:
        return _yuan(obj.fee)

    def has_delete_permission(
        self, request: HttpRequest, obj: ClinicSession | None = None
    ) -> bool:
        return False  # stop the session (停诊) instead: patients are told and refunded

    def save_model(
        self,
        request: HttpRequest,
        obj: ClinicSession,
        form: forms.ModelForm,
        change: bool,
    ) -> None:
        actor = Actor.from_request(request)
        data = form.cleaned_data
        try:
            if change:
                services.session_update(
                    actor=actor,
                    session=obj,
                    start_time=data["start_time"],
                    end_time=data["end_time"],
                    fee=data["fee"],
                    place=data["place"],
                )
            else:
                created = services.session_create(
                    actor=actor,
                    doctor=data["doctor"],
                    date=data["date"],
                    period=data["period"],
                    start_time=data["start_time"],
                    end_time=data["end_time"],
                    fee=data["fee"],
                    place=data["place"] or None,
                    slot_minutes=data["slot_minutes"],
                    seats_per_slot=data["seats_per_slot"],
                )
                self._adopt(obj, created)
        except DomainError as exc:
            self.message_user(request, str(exc.message), level=messages.ERROR)

    def save_related(
        self, request: HttpRequest, form: Any, formsets: Any, change: bool
    ) -> None:
        # The slot inline is read-only and the services wrote the slots: save nothing,
        # only let the formsets note that nothing changed (the admin's history reads it).
        for formset in formsets:
            formset.save(commit=False)

    @admin.action(
        description=_("Stop the selected sessions (停诊)"), permissions=["change"]
    )
    def stop_sessions(self, request: HttpRequest, queryset: QuerySet) -> None:
        # appointments imports scheduling; importing here avoids an import cycle.
        from appointments.services import session_stop

        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(
                request,
                _("Give a reason for stopping the sessions."),
                level=messages.ERROR,
            )
            return
        actor = Actor.from_request(request)
        for session in queryset.select_related("doctor").order_by("date", "pk"):
            try:
                cancelled = session_stop(actor=actor, session=session, reason=reason)
            except DomainError as exc:
                self.message_user(
                    request, f"{session}: {exc.message}", level=messages.ERROR
                )
                continue
            self.message_user(
                request,
                ngettext(
                    "%(session)s stopped; %(count)d appointment cancelled.",
                    "%(session)s stopped; %(count)d appointments cancelled.",
                    cancelled,
                )
                % {"session": session, "count": cancelled},
                level=messages.SUCCESS,
            )


# -- slots -------------------------------------------------------------------------------


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
    seats = forms.CharField(
        label=_("Seats to add (加号)"), required=False, max_length=10
    )


SEATS_FIELD = forms.IntegerField(min_value=1, max_value=services.MAX_SLOT_CAPACITY)


@admin.register(Slot)
class SlotAdmin(SchedulingAdmin):
    """Time slots. Add an extra slot to a session here, or add seats to slots (加号)."""

    hospital_field = "session__hospital"
    list_display = (
        "starts_at",
        "ends_at",
        "session",
        "capacity",
        "booked",
        "seats_left",
        "queue_start",
    )
    list_filter = (
        ("session__date", admin.DateFieldListFilter),
        ("session__hospital", admin.RelatedOnlyFieldListFilter),
        "session__status",
    )
    search_fields = ("session__doctor__name",)
    list_select_related = ("session__doctor",)
    raw_id_fields = ("session",)
    ordering = ("starts_at", "id")
    form = SlotAddForm
    actions = ("add_seats",)
    action_form = SlotActionForm

    @admin.display(description=_("seats left"))
    def seats_left(self, obj: Slot) -> int:
        return obj.seats_left

    def get_readonly_fields(self, request: HttpRequest, obj: Slot | None = None):
        if obj is None:
            return ()
        return ("session", "starts_at", "ends_at", "capacity", "booked", "queue_start")

    def get_fields(self, request: HttpRequest, obj: Slot | None = None) -> tuple:
        if obj is None:
            return ("session", "starts_at", "ends_at", "capacity")
        return ("session", "starts_at", "ends_at", "capacity", "booked", "queue_start")

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
        try:
            created = services.session_add_slot(
                actor=Actor.from_request(request),
                session=data["session"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                capacity=data["capacity"],
            )
        except DomainError as exc:
            self.message_user(request, str(exc.message), level=messages.ERROR)
            return
        self._adopt(obj, created)

    @admin.action(
        description=_("Add seats to the selected slots (加号)"), permissions=["change"]
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
        for slot in queryset.order_by("starts_at", "pk"):
            try:
                slot = services.slot_add_seats(actor=actor, slot=slot, seats=seats)
            except DomainError as exc:
                self.message_user(
                    request, f"{slot}: {exc.message}", level=messages.ERROR
                )
                continue
            self.message_user(
                request,
                _("%(slot)s: %(seats)d seats added.") % {"slot": slot, "seats": seats},
                level=messages.SUCCESS,
            )

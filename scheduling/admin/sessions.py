"""Clinic sessions (出诊): extra sessions, edits, slots and 加号 on the session page, 停诊."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common.admin import OperationLogHistoryMixin
from common.errors import DomainError
from common.money import yuan_display
from common.services import Actor
from scheduling import services
from scheduling.admin.session_forms import (
    AddSeatsForm,
    SessionAddForm,
    SessionChangeForm,
    SlotAddInlineForm,
    session_is_open,
)
from scheduling.admin.shared import (
    LocalDateFilter,
    SchedulingAdmin,
    clock_hours,
    doctor_columns,
)
from scheduling.models import ClinicSession, Slot


class SlotInline(admin.TabularInline):
    """The session's slots as they are; they change only through the services."""

    model = Slot
    fields = readonly_fields = ("hours", "capacity", "booked", "queue_start")
    ordering = ("starts_at", "id")
    extra = 0
    can_delete = False
    show_change_link = True

    @admin.display(description=_("hours"))
    def hours(self, obj: Slot) -> str:
        starts, ends = (
            timezone.localtime(obj.starts_at),
            timezone.localtime(obj.ends_at),
        )
        return f"{starts:%H:%M}-{ends:%H:%M}"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # SlotAddInline adds, through the service

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SlotAddInline(admin.TabularInline):
    """Blank rows to add extra time slots on the session's date."""

    model = Slot
    form = SlotAddInlineForm
    fields = ("start", "end", "seats")
    extra = 1
    can_delete = False
    verbose_name = _("extra time slot")
    verbose_name_plural = _("add extra time slots")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).none()


@admin.register(ClinicSession)
class ClinicSessionAdmin(OperationLogHistoryMixin, SchedulingAdmin):
    """Sessions per doctor and date, with booked / capacity over all slots.

    The 历史 page lists what happened to the session, its slots and its appointments
    (stops, 加号, check-ins) from the operation log.
    """

    operation_log_related = ("slots", "appointments")

    hospital_field = "hospital"
    list_display = (
        "date",
        "period",
        "doctor_name",
        "department",
        "hours",
        "clinic_type",
        "room",
        "booked_of_capacity",
        "fee_yuan",
        "status",
        "is_released",
        "release_queue",
    )
    list_filter = (
        LocalDateFilter,
        ("hospital", admin.RelatedOnlyFieldListFilter),
        ("doctor__department", admin.RelatedOnlyFieldListFilter),
        "status",
        "period",
        "clinic_type",
        "is_released",
        "release_queue",
    )
    search_fields = ("doctor__name", "doctor__department__name", "place", "room__name")
    list_select_related = ("doctor__department", "hospital", "room")
    date_hierarchy = "date"
    ordering = ("date", "start_time", "doctor_id")
    # 停诊 is added by appointments (appointments.admin.stop), which drives stopping.
    actions = ("release_queue_on", "release_queue_off")
    readonly_on_change = (
        "doctor",
        "hospital",
        "date",
        "period",
        "status",
        "stop_reason",
        "release_at",
        "is_released",
        "release_queue",
        "release_demand",
        "template",
    )
    fixed_once_booked = ("hours", "clinic_type", "room", "fee_yuan", "place")
    editable_on_change = (
        "start_time",
        "end_time",
        "clinic_type",
        "room",
        "fee",
        "place",
    )

    @admin.action(
        description=_("Put the selected sessions in the release queue (排队放号)"),
        permissions=["change"],
    )
    def release_queue_on(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._release_queue_set(request, queryset, on=True)

    @admin.action(
        description=_("Take the selected sessions out of the release queue"),
        permissions=["change"],
    )
    def release_queue_off(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._release_queue_set(request, queryset, on=False)

    def _release_queue_set(
        self, request: HttpRequest, queryset: QuerySet, *, on: bool
    ) -> None:
        actor = Actor.from_request(request)
        changed = sum(
            services.session_release_queue_set(
                actor=actor, session=session, on=on, reason="staff"
            )
            for session in queryset.filter(status=ClinicSession.Status.OPEN)
        )
        self.message_user(
            request,
            _("%(n)d session(s) changed.") % {"n": changed},
            messages.SUCCESS,
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("doctor__department", "room")
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
        if obj is None:
            kwargs["form"] = SessionAddForm
        elif self._is_editable(obj):
            kwargs["form"] = SessionChangeForm
        else:
            kwargs["form"] = forms.ModelForm  # every field read-only: nothing to post
        return super().get_form(request, obj, change, **kwargs)

    def _is_editable(self, obj: ClinicSession) -> bool:
        try:
            services.session_edit_check(session=obj)
        except DomainError:
            return False
        return True

    def get_fields(
        self, request: HttpRequest, obj: ClinicSession | None = None
    ) -> tuple:
        if obj is None:
            return (
                *SessionAddForm._meta.fields,
                "slot_minutes",
                "seats_per_slot",
            )
        if self._is_editable(obj):
            return (*self.readonly_on_change, *self.editable_on_change)
        return (*self.readonly_on_change, *self.fixed_once_booked)

    def get_readonly_fields(
        self, request: HttpRequest, obj: ClinicSession | None = None
    ) -> tuple:
        if obj is None:
            return ()
        if self._is_editable(obj):
            return self.readonly_on_change
        # booked, stopped or over: times and fee are fixed (appointments copied them)
        return (*self.readonly_on_change, *self.fixed_once_booked)

    def get_inlines(self, request: HttpRequest, obj: ClinicSession | None) -> tuple:
        if obj is None:
            return ()
        if session_is_open(obj) and self.has_change_permission(request, obj):
            return (SlotInline, SlotAddInline)
        return (SlotInline,)

    def has_change_permission(
        self, request: HttpRequest, obj: ClinicSession | None = None
    ) -> bool:
        # A stopped or finished session offers nothing to change: no 保存 button.
        if obj is not None and not session_is_open(obj):
            return False
        return super().has_change_permission(request, obj)

    doctor_name, department = doctor_columns()
    hours = clock_hours

    @admin.display(description=_("booked / seats"), ordering="booked_total")
    def booked_of_capacity(self, obj: ClinicSession) -> str:
        return f"{obj.booked_total or 0}/{obj.capacity_total or 0}"

    @admin.display(description=_("registration fee"), ordering="fee")
    def fee_yuan(self, obj: ClinicSession) -> str:
        return yuan_display(obj.fee)

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
        if change:
            if form.has_changed():
                self.run_service(
                    request,
                    lambda: services.session_update(
                        actor=actor,
                        session=obj,
                        **{name: data[name] for name in self.editable_on_change},
                    ),
                )
            return
        created = self.run_service(
            request,
            lambda: services.session_create(
                actor=actor,
                doctor=data["doctor"],
                date=data["date"],
                period=data["period"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                fee=data["fee"],
                place=data["place"] or None,  # empty: the default place
                slot_minutes=data["slot_minutes"],
                seats_per_slot=data["seats_per_slot"],
                clinic_type=data["clinic_type"],
                room=data["room"],
            ),
        )
        if created is not None:
            self.adopt(obj, created)

    def save_formset(
        self, request: HttpRequest, form: Any, formset: Any, change: bool
    ) -> None:
        # The services write the slots: existing rows are read-only, new ones go through
        # session_add_slot. The formsets only note what happened (for the change message).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = (
            [],
            [],
            [],
        )
        if not issubclass(formset.form, SlotAddInlineForm):
            return
        actor = Actor.from_request(request)
        for slot_form in formset.forms:
            if not slot_form.has_changed():
                continue
            data = slot_form.cleaned_data
            slot = self.run_service(
                request,
                lambda data=data: services.session_add_slot(
                    actor=actor,
                    session=form.instance,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    capacity=data["seats"],
                ),
            )
            if slot is not None:
                formset.new_objects.append(slot)

    # -- 加号 on the session page -------------------------------------------------------

    def get_urls(self) -> list:
        return [
            path(
                "<path:object_id>/add-seats/",
                self.admin_site.admin_view(self.add_seats_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_add_seats",
            ),
            *super().get_urls(),
        ]

    def add_seats_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        session = self.get_object(request, unquote(object_id))
        if session is None or not self.has_change_permission(request, session):
            raise PermissionDenied
        form = AddSeatsForm(request.POST or None, session=session)
        if request.method == "POST" and form.is_valid():
            seats = form.cleaned_data["seats"]
            try:
                slot = services.slot_add_seats(
                    actor=Actor.from_request(request),
                    slot=form.cleaned_data["slot"],
                    seats=seats,
                )
            except DomainError as exc:
                form.add_error(None, str(exc.message))
            else:
                self.message_user(
                    request,
                    _("%(slot)s: %(seats)d seats added.")
                    % {"slot": slot, "seats": seats},
                    level=messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:scheduling_clinicsession_change", args=[session.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Add seats"),
            "opts": self.opts,
            "original": session,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/scheduling/clinicsession/add_seats.html", context
        )

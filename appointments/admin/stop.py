"""停诊 in the session admin: stopping sessions cancels and refunds their bookings.

The schedule's session admin (scheduling.admin) knows nothing of appointments; this app
drives the stop, so it adds the action to that admin here (the session admin is registered
again with it). Like Django's delete confirmation, the action first shows each selected
session with the patients affected and the paid bookings that will be refunded, asks for
the reason, and stops nothing until staff confirm.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from appointments.admin.release_queue import ReleaseQueueColumnMixin
from appointments.services.stopping import (
    SessionStopResult,
    session_stop,
    session_stop_impact,
)
from common.admin import run_service_action
from common.money import yuan_display
from common.services import Actor
from scheduling.admin.sessions import ClinicSessionAdmin
from scheduling.models import ClinicSession


class StopReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for stopping"),
        max_length=255,
        help_text=_("Patients are told this reason."),
        widget=forms.TextInput(attrs={"size": 60}),
    )


@admin.action(description=_("Stop the selected sessions"), permissions=["change"])
def stop_sessions(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
):
    sessions = list(
        queryset.select_related("doctor__department").order_by(
            "date", "start_time", "pk"
        )
    )
    form = StopReasonForm(request.POST if "confirm" in request.POST else None)
    if not form.is_valid():
        impact = session_stop_impact(session_ids=[s.pk for s in sessions])
        rows = [(s, *impact.get(s.pk, (0, 0))) for s in sessions]
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": _("Stop clinic sessions"),
            "opts": modeladmin.model._meta,
            "rows": rows,
            "patients": sum(row[1] for row in rows),
            "paid": sum(row[2] for row in rows),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/scheduling/clinicsession/stop_confirmation.html", context
        )

    actor = Actor.from_request(request)
    results: list[SessionStopResult] = []

    def stop(session: ClinicSession) -> None:
        results.append(
            session_stop(
                actor=actor, session=session, reason=form.cleaned_data["reason"]
            )
        )

    stopped = run_service_action(modeladmin, request, sessions, stop)
    cancelled = sum(result.cancelled for result in results)
    refunds = sum(result.refunds for result in results)
    refunded = sum(result.refunded for result in results)
    if stopped:
        parts = [
            ngettext(
                "%(count)d session stopped",
                "%(count)d sessions stopped",
                stopped,
            )
            % {"count": stopped},
            ngettext(
                "%(count)d appointment cancelled",
                "%(count)d appointments cancelled",
                cancelled,
            )
            % {"count": cancelled},
            ngettext(
                "%(count)d refund requested (%(total)s)",
                "%(count)d refunds requested (%(total)s)",
                refunds,
            )
            % {"count": refunds, "total": yuan_display(refunded)},
        ]
        modeladmin.message_user(
            request, _("; ").join(str(part) for part in parts), level=messages.SUCCESS
        )
    return None


class ClinicSessionStopAdmin(ReleaseQueueColumnMixin, ClinicSessionAdmin):
    actions = (*ClinicSessionAdmin.actions, stop_sessions)


admin.site.unregister(ClinicSession)
admin.site.register(ClinicSession, ClinicSessionStopAdmin)

"""Doctors' stop and leave requests (停诊, 请假): staff of the hospital approve or reject.

Approving runs the stop-clinic flow (appointments.services.stopping): the session's
appointments are cancelled and refunded and the patients told, as with the session
admin's 停诊 action. Requests are never edited by hand.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from appointments.models import SessionStopRequest
from appointments.services.stop_requests import (
    stop_request_approve,
    stop_request_reject,
)
from common.admin import ScopedReadOnlyAdmin, run_service_action
from common.services import Actor


def _label(request: SessionStopRequest) -> str:
    return str(request.session)


@admin.register(SessionStopRequest)
class SessionStopRequestAdmin(ScopedReadOnlyAdmin):
    hospital_field = "hospital"
    list_display = (
        "id",
        "session",
        "kind",
        "reason",
        "status",
        "requested_by",
        "created_at",
        "decided_by",
        "decided_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("session__doctor__name", "reason")
    list_select_related = ("session__doctor", "requested_by", "decided_by")
    exclude = ("is_open",)
    actions = ("approve", "reject")

    @admin.action(
        description=_("Approve the selected requests (stops the sessions)"),
        permissions=["change"],
    )
    def approve(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = Actor.from_request(request)
        results = []
        done = run_service_action(
            self,
            request,
            queryset.select_related("session__doctor").order_by("pk"),
            lambda row: results.append(stop_request_approve(actor=actor, request=row)),
            label=_label,
        )
        if done:
            cancelled = sum(result.cancelled for result in results)
            self.message_user(
                request,
                ngettext(
                    "%(count)d request approved; %(cancelled)d appointments cancelled.",
                    "%(count)d requests approved; %(cancelled)d appointments cancelled.",
                    done,
                )
                % {"count": done, "cancelled": cancelled},
            )

    @admin.action(description=_("Reject the selected requests"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        actor = Actor.from_request(request)
        run_service_action(
            self,
            request,
            queryset.select_related("session__doctor").order_by("pk"),
            lambda row: stop_request_reject(actor=actor, request=row),
            label=_label,
            success_message=gettext("%(count)d requests rejected."),
        )

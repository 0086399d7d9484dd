"""排队放号 on the session's admin page: how the queue stands, live, for the desk.

The mark itself is the schedule's (scheduling.admin.sessions: the list's actions); the queue
is this app's, so the session admin registered here (appointments.admin.stop) shows it.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from appointments.release_queue.services import release_queue_summary
from scheduling.models import ClinicSession


class ReleaseQueueColumnMixin:
    """A read-only line on the session page: the waiting room, places, passes, seats."""

    @admin.display(description=_("release queue now"))
    def release_queue_now(self, obj: ClinicSession) -> str:
        if not obj.release_queue:
            return _("Not in the release queue.")
        facts = release_queue_summary(session_id=obj.pk)
        if facts is None:
            return _(
                "Not prepared yet (the first patient to join prepares it), or Redis is unavailable."
            )
        return _(
            "%(waiting)d waiting for the draw; %(places)d places drawn or joined since, "
            "%(admitted)d admitted; %(live)d passes in use; %(free)d seats free."
        ) % {
            "waiting": facts.waiting_room,
            "places": facts.places,
            "admitted": facts.admitted,
            "live": facts.live,
            "free": facts.free,
        }

    def get_readonly_fields(
        self, request: HttpRequest, obj: ClinicSession | None = None
    ) -> tuple:
        fields = super().get_readonly_fields(request, obj)
        return fields if obj is None else (*fields, "release_queue_now")

    def get_fields(
        self, request: HttpRequest, obj: ClinicSession | None = None
    ) -> tuple:
        fields = super().get_fields(request, obj)
        return fields if obj is None else (*fields, "release_queue_now")

"""The waitlist (hospital staff, read-only) and the outbox (platform admins only)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from appointments.admin.patient import patient_search_q
from appointments.models import Notification, WaitlistEntry
from common.admin import PlatformReadOnlyAdmin, ScopedReadOnlyAdmin


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ScopedReadOnlyAdmin):
    hospital_field = "session__hospital"
    list_display = ("id", "session", "patient", "status", "priority", "created_at")
    list_filter = ("status",)
    search_fields = ("session__doctor__name",)
    search_help_text = _(
        "Search by the patient's exact full name or the doctor's name."
    )
    list_select_related = ("session__doctor", "profile")
    exclude = ("user", "profile", "appointment")
    readonly_fields = ("patient",)

    @admin.display(description=_("patient"))
    def patient(self, obj: WaitlistEntry) -> str:
        return obj.profile.name

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ):
        # Names are encrypted: the exact full name is found through its lookup hash.
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        exact = patient_search_q(search_term)
        if exact is not None:
            results = results | queryset.filter(exact)
        return results, may_have_duplicates


@admin.register(Notification)
class NotificationAdmin(PlatformReadOnlyAdmin):
    """The outbox, for operators watching delivery: read-only, platform admins only.

    Message texts carry patients' names, so hospital staff do not see this list.
    """

    list_display = (
        "id",
        "event",
        "user",
        "status",
        "channel",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("status", "event", "channel")
    search_fields = ("dedupe_key",)
    list_select_related = ("user",)
    raw_id_fields = ("user", "appointment", "profile")
    exclude = ("body", "context")

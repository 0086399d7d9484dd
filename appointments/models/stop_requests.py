"""A doctor's request to stop a session (停诊), which staff approve or reject."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from common.models import TimeStampedModel


class SessionStopRequest(TimeStampedModel):
    """A doctor asks to stop a clinic session (停诊) or to be away for it (请假).

    Staff approve or reject it in the admin; approving runs the stop-clinic flow
    (services/stopping.py), which cancels, refunds and notifies as for any 停诊.
    """

    class Kind(models.TextChoices):
        STOP = "stop", _("Stop the clinic (停诊)")
        LEAVE = "leave", _("Leave (请假)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    session = models.ForeignKey(
        "scheduling.ClinicSession",
        on_delete=models.PROTECT,
        related_name="stop_requests",
        verbose_name=_("clinic session"),
    )
    # Copied from the session, for the admin's hospital scoping without a join.
    hospital = models.ForeignKey(
        "hospitals.Hospital",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("hospital"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=255, blank=True)
    # True while pending, NULL afterwards: one open request per session (MySQL ignores
    # conditional unique keys, hence the nullable column).
    is_open = models.BooleanField(_("open"), null=True, default=True, editable=False)

    class Meta:
        verbose_name = _("stop or leave request")
        verbose_name_plural = _("stop and leave requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "is_open"], name="stop_request_one_open_per_session"
            ),
            models.CheckConstraint(
                condition=(Q(status="pending") & Q(is_open=True))
                | (~Q(status="pending") & Q(is_open__isnull=True)),
                name="stop_request_open_while_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.session_id}"

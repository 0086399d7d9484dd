"""Abuse reports (举报) of consult messages and staff's decisions on them.

A party of the consult reports a message of the other party once; staff of the consult's
hospital review the queue in the admin: uphold or dismiss, and hide a message (shown to
both parties as recalled; its ciphertext is kept for the review). Every step leaves an
operation-log row in its transaction. Decisions are compare-and-sets on the report's
status, so two reviewers deciding at once decide it once.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from common.errors import Conflict, Unprocessable
from common.events import publish
from common.services import Actor, operation_log_write
from consult.errors import ErrorCode
from consult.events import ConsultMessageRecalled
from consult.models import ConsultMessage, MessageReport

R = MessageReport.Status


def _duplicate() -> Conflict:
    return Conflict(
        ErrorCode.MESSAGE_REPORT_DUPLICATE, _("You have already reported this message.")
    )


def message_report_create(
    *,
    actor: Actor,
    user: User,
    side: str,
    message: ConsultMessage,
    reason: str,
    comment: str = "",
) -> MessageReport:
    """`user` (the consult's party on `side`, checked by the caller's selector) reports
    `message`: not their own, once."""
    if message.sender_user_id == user.pk:
        raise Unprocessable(
            ErrorCode.MESSAGE_REPORT_OWN_MESSAGE,
            _("You cannot report your own message."),
        )
    if message.recalled_at is not None:
        raise Conflict(
            ErrorCode.MESSAGE_ALREADY_RECALLED, _("This message is already recalled.")
        )
    if MessageReport.objects.filter(message=message, reporter=user).exists():
        raise _duplicate()
    report = MessageReport(
        message=message,
        consult_id=message.consult_id,
        hospital_id=message.consult.hospital_id,
        reporter=user,
        reporter_side=side,
        reason=reason,
        comment=comment.strip(),
    )
    report.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            report.save(force_insert=True)
            operation_log_write(
                actor=actor,
                action="consult.message_report",
                obj=report,
                summary=f"message {message.pk}: {reason}",
            )
    except IntegrityError:
        # The same reporter's second request at the same moment: the unique key decides.
        if MessageReport.objects.filter(message=message, reporter=user).exists():
            raise _duplicate() from None
        raise
    return report


def _decide(*, actor: Actor, report: MessageReport, status: str, summary: str) -> bool:
    now = timezone.now()
    changed = MessageReport.objects.filter(pk=report.pk, status=R.PENDING).update(
        status=status, reviewed_by=actor.user, reviewed_at=now, updated_at=now
    )
    if changed:
        operation_log_write(
            actor=actor,
            action=f"consult.report_{status}",
            obj=report,
            summary=summary,
        )
    return bool(changed)


@transaction.atomic
def message_report_decide(
    *, actor: Actor, report: MessageReport, upheld: bool
) -> MessageReport:
    """Uphold or dismiss a pending report (the reviewer and the time are kept)."""
    status = R.UPHELD if upheld else R.DISMISSED
    if not _decide(
        actor=actor,
        report=report,
        status=status,
        summary=f"message {report.message_id}: {report.reason}",
    ):
        raise Conflict(
            ErrorCode.MESSAGE_REPORT_ALREADY_DECIDED,
            _("This report has already been decided."),
        )
    report.refresh_from_db()
    return report


@transaction.atomic
def message_hide(
    *, actor: Actor, message: ConsultMessage, reason: str
) -> ConsultMessage:
    """Hide a reported message: both parties see it as recalled. Its pending reports are
    upheld by the same reviewer. `reason` goes to the operation log."""
    now = timezone.now()
    changed = ConsultMessage.objects.filter(
        pk=message.pk, recalled_at__isnull=True, hidden_at__isnull=True
    ).update(recalled_at=now, hidden_at=now)
    if changed != 1:
        message.refresh_from_db()
        if message.hidden_at is not None:
            raise Conflict(
                ErrorCode.MESSAGE_ALREADY_HIDDEN, _("This message is already hidden.")
            )
        raise Conflict(
            ErrorCode.MESSAGE_ALREADY_RECALLED, _("This message is already recalled.")
        )
    operation_log_write(
        actor=actor, action="consult.message_hide", obj=message, summary=reason
    )
    # Both parties' sockets take it away as they do a recall.
    publish(
        ConsultMessageRecalled(consult_id=message.consult_id, message_id=message.pk)
    )
    for report in MessageReport.objects.filter(
        message=message, status=R.PENDING
    ).order_by("pk"):
        _decide(
            actor=actor,
            report=report,
            status=R.UPHELD,
            summary=f"message {message.pk} hidden",
        )
    message.refresh_from_db()
    return message

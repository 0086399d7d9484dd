"""Writing the ledger: an entry per no-show and late cancel, the patient's appeal, and
staff's decision on it. Every decision goes to the operation log."""

import datetime
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.errors import ErrorCode
from appointments.models import Appointment, LedgerAppeal, LedgerEntry
from common.errors import Conflict, NotFound, Unprocessable
from common.filecrypto import decrypt_bytes, encrypt_bytes
from common.services import Actor, operation_log_write

# (content type, first bytes, extensions the name may have): the same as records take
SIGNATURES = (
    ("application/pdf", b"%PDF-", (".pdf",)),
    ("image/png", b"\x89PNG\r\n\x1a\n", (".png",)),
    ("image/jpeg", b"\xff\xd8\xff", (".jpg", ".jpeg")),
)
A = LedgerAppeal.Status


def ledger_entry_record(
    *, actor: Actor, appointment: Appointment, kind: str, now: datetime.datetime
) -> LedgerEntry | None:
    """Write the entry of `appointment` for `kind` once; None when it exists already.
    Runs inside the caller's transaction (the no-show sweep's, the cancel's)."""
    if LedgerEntry.objects.filter(appointment_id=appointment.pk, kind=kind).exists():
        return None
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                id_card_hash=appointment.profile.id_card_hash,
                hospital_id=appointment.hospital_id,
                kind=kind,
                appointment=appointment,
                occurred_at=now,
            )
    except IntegrityError:  # a concurrent writer recorded it first
        return None
    operation_log_write(
        actor=actor,
        action="ledger.entry",
        obj=entry,
        summary=f"{kind} appointment={appointment.pk} hospital={appointment.hospital_id}",
    )
    return entry


def appeal_storage() -> Storage:
    return storages[settings.RECORD_ATTACHMENT_STORAGE]


def appeal_attachment_check(*, name: str, content: bytes) -> str:
    """The file's content type by its first bytes; Unprocessable otherwise."""
    limit = settings.RECORD_ATTACHMENT_MAX_BYTES
    if len(content) > limit:
        message = _("The file is larger than %(limit)s bytes.") % {"limit": limit}
        raise Unprocessable(
            ErrorCode.APPEAL_ATTACHMENT_REFUSED, message, {"attachment": [message]}
        )
    for content_type, magic, extensions in SIGNATURES:
        if content.startswith(magic) and name.lower().endswith(extensions):
            return content_type
    message = _("Only PDF, JPEG and PNG files are accepted.")
    raise Unprocessable(
        ErrorCode.APPEAL_ATTACHMENT_REFUSED, message, {"attachment": [message]}
    )


def appeal_attachment_store(content: bytes) -> str:
    """Write the content encrypted (its storage name bound in) under a new random name;
    returns the name the storage chose."""
    name = f"appeals/{uuid.uuid4().hex}.bin"
    return appeal_storage().save(
        name, ContentFile(encrypt_bytes(content, context=name))
    )


def appeal_file(
    *,
    actor: Actor,
    user: User,
    entry: LedgerEntry,
    reason: str,
    attachment_name: str = "",
    attachment_content: bytes | None = None,
) -> LedgerAppeal:
    """The patient appeals against `entry` (already checked to be theirs): one pending
    appeal per entry, none against a voided one."""
    content_type = ""
    if attachment_content is not None:
        content_type = appeal_attachment_check(
            name=attachment_name, content=attachment_content
        )
    # The file is written before the row that names it, inside the one transaction
    # (durable: no caller's transaction can roll it back later), and removed again when
    # that transaction fails at any step, so a refused or failed appeal leaves no file.
    storage_name = ""
    try:
        with transaction.atomic(durable=True):
            entry = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
            if entry.voided_at is not None:
                raise Conflict(
                    ErrorCode.LEDGER_ENTRY_VOIDED,
                    _("This record has been removed already."),
                )
            if entry.appeals.filter(status=A.PENDING).exists():
                raise Conflict(
                    ErrorCode.APPEAL_PENDING,
                    _("An appeal against this record is waiting for a decision."),
                )
            if attachment_content is not None:
                storage_name = appeal_attachment_store(attachment_content)
            appeal = LedgerAppeal.objects.create(
                entry=entry,
                hospital_id=entry.hospital_id,
                user=user,
                reason=reason,
                attachment_name=attachment_name[:255] if storage_name else "",
                attachment_storage_name=storage_name,
                attachment_content_type=content_type,
            )
            operation_log_write(
                actor=actor,
                action="ledger.appeal",
                obj=appeal,
                summary=f"entry={entry.pk} attachment={'yes' if storage_name else 'no'}",
            )
    except BaseException:
        if storage_name:
            appeal_storage().delete(storage_name)
        raise
    return appeal


def appeal_attachment_content(appeal: LedgerAppeal) -> bytes:
    with appeal_storage().open(appeal.attachment_storage_name, "rb") as stored:
        blob = stored.read()
    return decrypt_bytes(blob, context=appeal.attachment_storage_name)


def appeal_decide(
    *,
    actor: Actor,
    appeal_id: int,
    accept: bool,
    note: str = "",
    now: datetime.datetime | None = None,
) -> LedgerAppeal:
    """Staff accept (the entry is voided: the restriction it made lifts at once) or reject
    a pending appeal. The appeal's row lock makes two decisions one after the other: the
    second finds it decided."""
    now = now or timezone.now()
    with transaction.atomic():
        appeal = LedgerAppeal.objects.select_for_update().filter(pk=appeal_id).first()
        if appeal is None:
            raise NotFound(ErrorCode.APPEAL_NOT_FOUND, _("Appeal not found."))
        if appeal.status != A.PENDING:
            raise Conflict(
                ErrorCode.APPEAL_DECIDED, _("This appeal has been decided already.")
            )
        appeal.status = A.ACCEPTED if accept else A.REJECTED
        appeal.decision_note = note[:255]
        appeal.decided_by = actor.user
        appeal.decided_at = now
        appeal.save(
            update_fields=[
                "status",
                "decision_note",
                "decided_by",
                "decided_at",
                "updated_at",
            ]
        )
        if accept:
            LedgerEntry.objects.filter(
                pk=appeal.entry_id, voided_at__isnull=True
            ).update(voided_at=now, updated_at=now)
        operation_log_write(
            actor=actor,
            action="ledger.appeal_accept" if accept else "ledger.appeal_reject",
            obj=appeal,
            summary=f"entry={appeal.entry_id} note={note}",
        )
    return appeal

"""A consult's life: create (under the doctor's daily cap), close, rate, and the two sweeps.

Lock order inside the create transaction (as appointments.services.booking does with a
slot): 1. the doctor's ConsultDay row, by a conditional UPDATE (`taken < cap`), so the last
place of the day is taken once and a full day answers at once; 2. only then the consult is
inserted. The day row itself is inserted beforehand in its own short transaction (INSERT
IGNORE): inserting it inside the booking transaction would hold a shared lock that the
UPDATE must upgrade, and concurrent creators would deadlock.

State changes are conditional UPDATEs on the status, so a sweep and a party racing, or two
sweeps, change each consult once. A consult that ends before the doctor's first reply
(withdrawn, unanswered in time, unpaid in time) is released by the winner of that UPDATE,
in the same transaction: its place of the day is given back and what was paid is refunded
in full through billing (consult_release). Lock order: the consult's row, the day's row,
then billing's order rows (as a payment takes them: consult, then order).
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import PatientProfile, User
from billing.models import PaymentOrder
from billing.services.orders import payable_orders_settle_later
from billing.services.refunds import payable_refunds_request
from common.errors import Conflict, NotFound
from common.events import publish
from common.services import Actor, operation_log_write
from consult.errors import ErrorCode
from consult.events import ConsultStatusChanged
from consult.models import Consult, ConsultDay, ConsultOffer
from consult.notifications import consult_status_notify
from hospitals.models import Doctor

S = Consult.Status
OPEN = (S.WAITING, S.IN_PROGRESS)


def _day_row_ensure(*, doctor: Doctor, date: datetime.date) -> None:
    """The doctor's counter row for the date exists (committed before the cap is taken)."""
    with transaction.atomic():
        ConsultDay.objects.bulk_create(
            [ConsultDay(doctor=doctor, date=date)], ignore_conflicts=True
        )


def consult_place_take(*, doctor: Doctor, date: datetime.date, cap: int) -> bool:
    """Take one of the doctor's places of the date. Holds the day row lock until commit."""
    return (
        ConsultDay.objects.filter(doctor=doctor, date=date, taken__lt=cap).update(
            taken=F("taken") + 1
        )
        == 1
    )


def consult_place_give_back(*, consult: Consult) -> bool:
    """Give back the place the consult took on its day (never below 0). The caller makes
    sure it runs once per consult: it is the winner of the consult's status UPDATE."""
    return (
        ConsultDay.objects.filter(
            doctor_id=consult.doctor_id,
            date=timezone.localdate(consult.created_at),
            taken__gt=0,
        ).update(taken=F("taken") - 1)
        == 1
    )


def consult_release(*, consult: Consult, actor: Actor, reason: str) -> None:
    """A consult ended before the doctor's first reply: give its place back, refund in
    full what was paid (`reason`: "consult_cancel:<why>", the refund's kind and cause),
    and settle its open orders with their channel after commit (a payment racing the end
    is then recorded and refunded). Inside the transaction that ended it."""
    consult_place_give_back(consult=consult)
    kind = PaymentOrder.Kind.CONSULT
    payable_refunds_request(kind=kind, ref_id=consult.pk, actor=actor, reason=reason)
    payable_orders_settle_later(kind=kind, ref_id=consult.pk)


def consult_create(
    *,
    actor: Actor,
    user: User,
    doctor: Doctor,
    profile: PatientProfile,
    problem: str,
) -> Consult:
    if profile.user_id != user.pk:
        raise NotFound(
            ErrorCode.CONSULT_PROFILE_NOT_FOUND, _("Patient profile not found.")
        )
    offer = ConsultOffer.objects.filter(doctor=doctor, enabled=True).first()
    if offer is None or not doctor.is_active:
        raise Conflict(
            ErrorCode.DOCTOR_NOT_OFFERING_CONSULTS,
            _("This doctor does not take online consults."),
        )
    now = timezone.now()
    today = timezone.localdate(now)
    _day_row_ensure(doctor=doctor, date=today)
    with transaction.atomic():
        if not consult_place_take(doctor=doctor, date=today, cap=offer.daily_cap):
            raise Conflict(
                ErrorCode.CONSULT_DAILY_CAP_REACHED,
                _("This doctor takes no more online consults today."),
            )
        paid = offer.fee > 0
        consult = Consult(
            user=user,
            profile=profile,
            doctor=doctor,
            hospital_id=doctor.hospital_id,
            status=S.AWAITING_PAYMENT if paid else S.WAITING,
            fee=offer.fee,
            reply_deadline=None
            if paid
            else now + datetime.timedelta(hours=offer.reply_hours),
        )
        consult.problem = problem  # encrypted on write (common.encrypted)
        consult.full_clean()
        consult.save()
        operation_log_write(
            actor=actor, action="consult.create", obj=consult, summary=consult.status
        )
    return consult


@transaction.atomic
def consult_close(*, actor: Actor, consult: Consult, by: str) -> Consult:
    """A party closes an open consult (the patient may also withdraw one not yet paid).

    Closed before the doctor's first reply (awaiting payment or waiting), it is released:
    its place given back, what was paid refunded in full (consult_release)."""
    allowed = OPEN if by == Consult.ClosedBy.DOCTOR else (*OPEN, S.AWAITING_PAYMENT)
    now = timezone.now()
    values = {"status": S.CLOSED, "closed_at": now, "closed_by": by, "updated_at": now}
    # Two conditional UPDATEs, so "before the first reply" is decided by the row itself
    # (a reply moves waiting to in_progress), never by an earlier read.
    early = [status for status in allowed if status in (S.AWAITING_PAYMENT, S.WAITING)]
    before_reply = (
        Consult.objects.filter(pk=consult.pk, status__in=early).update(**values) == 1
    )
    if not before_reply and (
        Consult.objects.filter(pk=consult.pk, status__in=allowed).update(**values) != 1
    ):
        raise Conflict(ErrorCode.CONSULT_NOT_OPEN, _("This consult is not open."))
    # A fresh instance: the caller's may carry values read before (its payment's).
    consult = Consult.objects.select_related("doctor", "profile").get(pk=consult.pk)
    operation_log_write(actor=actor, action="consult.close", obj=consult, summary=by)
    if before_reply:
        consult_release(consult=consult, actor=actor, reason="consult_cancel:withdrawn")
    consult_status_notify(consult=consult)
    publish(ConsultStatusChanged(consult_id=consult.pk, status=consult.status))
    return consult


@transaction.atomic
def consult_rate(
    *, actor: Actor, consult: Consult, stars: int, comment: str = ""
) -> Consult:
    now = timezone.now()
    # Only a consult the doctor answered is rated: one withdrawn or ended before the
    # first reply (refunded) has nothing to rate.
    changed = Consult.objects.filter(
        pk=consult.pk, status=S.CLOSED, started_at__isnull=False
    ).update(
        status=S.RATED,
        stars=stars,
        rating_comment=comment,
        rated_at=now,
        updated_at=now,
    )
    if changed != 1:
        consult.refresh_from_db()
        if consult.status == S.RATED:
            raise Conflict(
                ErrorCode.CONSULT_ALREADY_RATED, _("This consult is already rated.")
            )
        if consult.status == S.CLOSED:
            raise Conflict(
                ErrorCode.CONSULT_NOT_ANSWERED,
                _("The doctor never answered this consult: there is nothing to rate."),
            )
        raise Conflict(
            ErrorCode.CONSULT_NOT_CLOSED, _("Only a closed consult can be rated.")
        )
    consult.refresh_from_db()
    operation_log_write(
        actor=actor, action="consult.rate", obj=consult, summary=str(stars)
    )
    publish(ConsultStatusChanged(consult_id=consult.pk, status=consult.status))
    return consult


def _sweep(
    *,
    ids: list[int],
    condition: dict,
    values: dict,
    action: str,
    release_reason: str = "",
) -> int:
    """Change each consult that still meets `condition`, each in its own transaction.

    With `release_reason`, each consult changed is released (consult_release) in that
    transaction, by the one run whose UPDATE changed it."""
    done = 0
    for consult_id in ids:
        with transaction.atomic():
            if Consult.objects.filter(pk=consult_id, **condition).update(**values):
                done += 1
                operation_log_write(
                    actor=Actor.system(),
                    action=action,
                    obj=Consult(pk=consult_id),
                    summary="system",
                )
                if release_reason:
                    consult_release(
                        consult=Consult.objects.get(pk=consult_id),
                        actor=Actor.system(),
                        reason=release_reason,
                    )
                consult_status_notify(
                    consult=Consult.objects.select_related(
                        "doctor", "profile", "hospital"
                    ).get(pk=consult_id)
                )
                publish(
                    ConsultStatusChanged(consult_id=consult_id, status=values["status"])
                )
    return done


def overdue_consults_cancel() -> int:
    """Cancel the waiting consults the doctor did not answer before the deadline, each
    released (its place given back, a paid one refunded in full).

    Idempotent: two runs, even at once, cancel and refund each consult once. Returns how
    many."""
    now = timezone.now()
    condition = {"status": S.WAITING, "reply_deadline__lt": now}
    ids = list(Consult.objects.filter(**condition).values_list("pk", flat=True))
    return _sweep(
        ids=ids,
        condition=condition,
        values={"status": S.CANCELLED, "closed_at": now, "updated_at": now},
        action="consult.cancel",
        release_reason="consult_cancel:overdue",
    )


def idle_consults_close() -> int:
    """Close the consults in progress with no message for CONSULT_IDLE_CLOSE_HOURS."""
    now = timezone.now()
    since = now - datetime.timedelta(hours=settings.CONSULT_IDLE_CLOSE_HOURS)
    condition = {"status": S.IN_PROGRESS, "last_message_at__lt": since}
    ids = list(Consult.objects.filter(**condition).values_list("pk", flat=True))
    return _sweep(
        ids=ids,
        condition=condition,
        values={
            "status": S.CLOSED,
            "closed_at": now,
            "closed_by": Consult.ClosedBy.SYSTEM,
            "updated_at": now,
        },
        action="consult.close",
    )

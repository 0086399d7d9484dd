"""Membership writes: the points ledger, level changes, level grants and late cancels.

Rules kept here:
- Every change of points is one PointsEntry row, unique per event (source_type,
  source_id), written in the same transaction as the balance on the user, so a retried
  or duplicated event counts once and the balance always equals the ledger's sum.
- The balance never goes below 0: a take-back larger than the balance takes what is there
  and records that.
- Levels follow the points both ways (a refund that takes the points back also takes back
  the level they bought, so refunded bookings cannot buy a level), but never below a level
  a platform admin granted (the user's floor). Levels are re-evaluated when points change
  or a level is granted, not when an admin edits the thresholds.

Lock order: every service here locks the user's row, and does it last: callers already
hold their appointment, order or slot rows (booking takes the slot, then the user).
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ErrorCode
from accounts.events import PatientAccountChanged
from accounts.models import LateCancelUse, MemberLevel, PointsEntry, User
from accounts.selectors import (
    local_month_bounds,
    member_level_reached,
    member_levels,
    member_privileges_for_user,
)
from common.errors import Conflict, NotAllowed
from common.events import publish
from common.services import Actor, operation_log_write


def _user_lock(user: User) -> tuple[int, int | None, int | None]:
    """Lock the user's row; return its (points, member_level_id, member_level_floor_id)."""
    return (
        User.objects.select_for_update()
        .filter(pk=user.pk)
        .values_list("points", "member_level_id", "member_level_floor_id")
        .get()
    )


def _level_code(levels: list[MemberLevel], level_id: int | None) -> str:
    if level_id is None:
        return levels[0].code if levels else "-"
    return next((level.code for level in levels if level.pk == level_id), "-")


def _level_set(
    *,
    actor: Actor,
    user: User,
    levels: list[MemberLevel],
    current_id: int | None,
    level: MemberLevel | None,
    why: str,
) -> None:
    """Store `level` on the user; log it when the level in effect changes (NULL = entry)."""
    new_id = None if level is None else level.pk
    if new_id == current_id:
        return
    User.objects.filter(pk=user.pk).update(member_level_id=new_id)
    user.member_level_id = new_id
    publish(PatientAccountChanged(user_id=user.pk))
    before, after = _level_code(levels, current_id), _level_code(levels, new_id)
    if before != after:
        operation_log_write(
            actor=actor,
            action="member.level_change",
            obj=user,
            summary=f"{before} -> {after} ({why})",
        )


@transaction.atomic
def points_apply(
    *,
    user: User,
    delta: int,
    reason: str,
    source_type: str,
    source_id: str,
    actor: Actor,
) -> PointsEntry | None:
    """Add `delta` points (take back when negative) for one event, exactly once.

    Idempotent by (source_type, source_id): an event already recorded returns None and
    changes nothing, also when two copies arrive at the same moment (the user's row lock
    orders them, and the ledger's unique key refuses the second). A delta of 0 records
    nothing and returns None. A take-back never drives the balance below 0; the entry
    records what was actually taken. Moves the level with the points (see the module
    docstring) and writes operation-log rows. Updates `user.points` and
    `user.member_level_id` in memory.
    """
    source_id = str(source_id)
    if delta == 0:
        return None
    recorded = PointsEntry.objects.filter(source_type=source_type, source_id=source_id)
    if recorded.exists():
        return None  # the common retry; the unique key below decides under concurrency

    points, level_id, floor_id = _user_lock(user)
    applied = delta if delta > 0 else -min(-delta, points)
    balance = points + applied
    entry = PointsEntry(
        user_id=user.pk,
        delta=applied,
        balance_after=balance,
        reason=reason[:255],
        source_type=source_type,
        source_id=source_id,
    )
    # Uniqueness is left to the database key, which holds under concurrency.
    entry.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
    except IntegrityError:
        # The same event, recorded by a concurrent call that committed first.
        return None

    # Compare-and-set on the balance read under the lock: it cannot have moved, and if it
    # somehow did, the whole event (ledger row included) rolls back instead of drifting.
    if (
        applied
        and User.objects.filter(pk=user.pk, points=points).update(points=balance) != 1
    ):
        raise Conflict(
            ErrorCode.POINTS_CHANGED, _("Points changed meanwhile; try again.")
        )
    user.points = balance
    operation_log_write(
        actor=actor,
        action="member.points",
        obj=entry,
        summary=f"user={user.pk} {applied:+d} (asked {delta:+d}) balance={balance} "
        f"{source_type}:{source_id}",
    )
    levels = member_levels()
    _level_set(
        actor=actor,
        user=user,
        levels=levels,
        current_id=level_id,
        level=member_level_reached(levels, points=balance, floor_id=floor_id),
        why=f"{balance} points",
    )
    return entry


def _can_grant(actor: Actor) -> bool:
    user = actor.user
    return bool(
        user is not None
        and user.is_active
        and (user.is_superuser or user.role == User.Role.PLATFORM_ADMIN)
    )


@transaction.atomic
def member_level_grant(*, actor: Actor, user: User, level: MemberLevel) -> User:
    """A platform admin grants `level` to `user`: it becomes the user's floor.

    The user's level becomes the higher of `level` and what their points earn; points
    taken back later never drop them below it. Granting a lower level than an earlier
    grant lowers the floor (granting the entry level removes the grant). Only superusers
    and platform admins may grant (NotAllowed otherwise).
    """
    if not _can_grant(actor):
        raise NotAllowed(
            ErrorCode.NOT_ALLOWED_TO_GRANT_LEVEL,
            _("Only platform administrators can grant member levels."),
        )
    points, level_id, floor_id = _user_lock(user)
    levels = member_levels()
    User.objects.filter(pk=user.pk).update(member_level_floor_id=level.pk)
    user.member_level_floor_id = level.pk
    operation_log_write(
        actor=actor,
        action="member.level_grant",
        obj=user,
        summary=f"granted {level.code} (was {_level_code(levels, floor_id) if floor_id else 'none'})",
    )
    _level_set(
        actor=actor,
        user=user,
        levels=levels,
        current_id=level_id,
        level=member_level_reached(levels, points=points, floor_id=level.pk),
        why=f"granted {level.code}",
    )
    return user


@transaction.atomic
def member_late_cancel_use(
    *, user: User, appointment_id: int, now: datetime.datetime
) -> None:
    """Record one cancellation after the deadline against the level's monthly quota.

    Call it inside the cancel transaction. The user's row is locked first, so two late
    cancels at once count one after the other and cannot both take the last use. Raises
    Conflict("late_cancel_not_allowed") when the level has no late-cancel right and
    Conflict("late_cancel_quota_used") when this month's quota (local calendar month of
    `now`) is spent. One use per appointment: recording the same appointment again is a
    no-op. Writes an operation-log row (the cancel itself logs the actor).

    Call it after the seat is released (booking locks the slot, then the user; the same
    order here keeps the two from deadlocking).
    """
    _user_lock(user)
    if LateCancelUse.objects.filter(appointment_id=appointment_id).exists():
        return
    quota = member_privileges_for_user(user=user).late_cancel_monthly_quota
    if quota == 0:
        raise Conflict(
            ErrorCode.LATE_CANCEL_NOT_ALLOWED,
            _("Your member level cannot cancel after the deadline."),
        )
    start, end = local_month_bounds(now)
    # A locking read: it sees every use committed before we got the user's lock, whatever
    # the isolation level.
    used = len(
        LateCancelUse.objects.select_for_update()
        .filter(user_id=user.pk, used_at__gte=start, used_at__lt=end)
        .values_list("pk", flat=True)
    )
    if used >= quota:
        raise Conflict(
            ErrorCode.LATE_CANCEL_QUOTA_USED,
            _("You have used your %(count)d late cancellations this month.")
            % {"count": quota},
        )
    use = LateCancelUse(user_id=user.pk, appointment_id=appointment_id, used_at=now)
    use.full_clean(validate_unique=False, validate_constraints=False)
    use.save(force_insert=True)
    operation_log_write(
        actor=Actor(user=user),
        action="member.late_cancel",
        obj=use,
        summary=f"appointment={appointment_id} use {used + 1} of {quota} in "
        f"{timezone.localtime(now):%Y-%m}",
    )


@transaction.atomic
def member_level_save(
    *, actor: Actor, level: MemberLevel, is_new: bool, changed_fields: list[str]
) -> MemberLevel:
    """Save a level edited in the privileges table (admin) and log who changed what.

    Members keep their level until their points change or a level is granted; the new
    thresholds apply from then on.
    """
    if not _can_grant(actor):
        raise NotAllowed(
            ErrorCode.NOT_ALLOWED_TO_EDIT_LEVELS,
            _("Only platform administrators can edit member levels."),
        )
    level.full_clean()
    level.save()
    operation_log_write(
        actor=actor,
        action="member.level_create" if is_new else "member.level_update",
        obj=level,
        summary="changed: " + ", ".join(changed_fields) if changed_fields else "",
    )
    return level

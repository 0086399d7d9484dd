"""Reads of accounts data, scoped to the caller, and the decrypted / masked views of it.

Plaintext ID-card numbers and phones only exist in memory, returned by the `profile_*`
helpers below; API output uses the masked helpers. Never log what they return.

Membership: booking, cancellation, the waitlist and billing read a member's privileges
only through member_privileges_for_user (and member_late_cancel_allowed), never from the
level row directly, so a rule lives in one place.
"""

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.errors import ErrorCode
from accounts.models import (
    BASIS_POINTS,
    LateCancelUse,
    MemberLevel,
    PatientProfile,
    PointsEntry,
    User,
)

# The contexts live with the mixins that read the encrypted columns; these names are kept
# here for the modules that import them from the selectors.
from accounts.sensitive import (
    ID_CARD_CONTEXT,
    ID_CARD_HASH_CONTEXT,
    INSURANCE_CARD_CONTEXT,
    PHONE_CONTEXT,
    PHONE_HASH_CONTEXT,
    SESSION_KEY_CONTEXT,
    id_card_last4_hash,
    name_lookup_hash,
    phone_lookup_hash,
)
from accounts.validators import parse_id_card
from common.crypto import decrypt, lookup_hash, mask
from common.errors import NotFound

__all__ = [
    "ID_CARD_CONTEXT",
    "ID_CARD_HASH_CONTEXT",
    "INSURANCE_CARD_CONTEXT",
    "PHONE_CONTEXT",
    "PHONE_HASH_CONTEXT",
    "SESSION_KEY_CONTEXT",
]

# A mainland mobile number, ASCII digits only; usernames never look like one.
_PHONE_LOGIN = re.compile(r"1[3-9][0-9]{9}", re.ASCII)

_MAX_ID = 2**63 - 1  # larger ids cannot exist and overflow some database drivers


# -- accounts by phone or login name ---------------------------------------------------------
# Every lookup of an account by its phone goes through user_filter_by_phone, so how the
# phone is stored (in clear today) is known in this one place.


def user_filter_by_phone(phone: str) -> QuerySet[User]:
    """The account registered with `phone` (already normalised), as a QuerySet to lock;
    found through the phone's keyed hash (see user_get_by_phone)."""
    return User.objects.filter(phone_hash=phone_lookup_hash(phone))


def user_get_by_login(login: str) -> User | None:
    """The account a password login names: by phone when `login` is a mainland mobile
    number, else by username (case-insensitive, as usernames are unique that way)."""
    from_phone = _PHONE_LOGIN.fullmatch(login)
    if from_phone:
        return user_get_by_phone(phone=login)
    return User.objects.filter(username__iexact=login).first()


# The JWT claim naming the login session a token belongs to (accounts.services.tokens).
SESSION_CLAIM = "sid"


def patient_profile_list_for_user(*, user: User) -> QuerySet[PatientProfile]:
    """The user's active profiles (deleted ones are hidden), oldest first."""
    return PatientProfile.objects.filter(user=user, is_active=True).order_by("id")


def patient_profile_get_for_user(*, user: User, profile_id: int) -> PatientProfile:
    """One of the user's active profiles.

    Raises NotFound("profile_not_found") when it does not exist, was deleted or belongs to
    someone else, so another user's id reveals nothing.
    """
    profile = None
    if isinstance(profile_id, int) and 0 < profile_id <= _MAX_ID:
        profile = patient_profile_list_for_user(user=user).filter(pk=profile_id).first()
    if profile is None:
        raise NotFound(ErrorCode.PROFILE_NOT_FOUND, _("Patient profile not found."))
    return profile


def patient_profile_get_for_desk(
    *, profile_id: int, id_card_last4: str
) -> PatientProfile:
    """A patient's active profile for the desk (a walk-in): its id and the last four
    characters of its ID number, which the patient shows, must both match, so staff cannot
    book for profiles by trying ids. Anything else: NotFound("profile_not_found")."""
    profile = None
    last4 = (id_card_last4 or "").strip()
    if isinstance(profile_id, int) and 0 < profile_id <= _MAX_ID and len(last4) == 4:
        profile = (
            PatientProfile.objects.select_related("user")
            .filter(
                pk=profile_id,
                is_active=True,
                id_card_last4_hash=id_card_last4_hash(last4),
                user__role=User.Role.PATIENT,
            )
            .first()
        )
    if profile is None:
        raise NotFound(ErrorCode.PROFILE_NOT_FOUND, _("Patient profile not found."))
    return profile


def profile_id_card_no(profile: PatientProfile) -> str:
    return decrypt(profile.id_card_encrypted, context=ID_CARD_CONTEXT)


def person_name_masked(name: str) -> str:
    """A name for a public screen: first and last character kept, one * for each between
    (张小伟 -> 张*伟, 欧阳小明 -> 欧**明); a two-character name keeps the first (张伟 -> 张*)."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def profile_id_card_masked(profile: PatientProfile) -> str:
    """'110***********1234'."""
    return mask(profile_id_card_no(profile), keep_start=3, keep_end=4)


def profile_phone(profile: PatientProfile) -> str:
    return decrypt(profile.phone_encrypted, context=PHONE_CONTEXT)


def profile_phone_masked(profile: PatientProfile) -> str:
    """'138****1234'."""
    return mask(profile_phone(profile), keep_start=3, keep_end=4)


def profile_insurance_card_no(profile: PatientProfile) -> str:
    if not profile.insurance_card_encrypted:
        return ""
    return decrypt(profile.insurance_card_encrypted, context=INSURANCE_CARD_CONTEXT)


def profile_insurance_card_masked(profile: PatientProfile) -> str:
    number = profile_insurance_card_no(profile)
    return mask(number, keep_start=2, keep_end=4) if number else ""


def user_phone_masked(user: User) -> str | None:
    phone = user.phone
    return mask(phone, keep_start=3, keep_end=4) if phone else None


_PHONE_TERM = re.compile(r"1[0-9]{10}")
_ID_LAST4_TERM = re.compile(r"[0-9]{3}[0-9Xx]")


def patient_profile_search_q(term: str, *, path: str = "profile") -> Q | None:
    """A filter for the profiles a desk search term names exactly, or None.

    The personal data is stored encrypted, so a search matches whole values through their
    keyed lookup hashes, never a part: 11 digits is the account's or the patient's own
    phone; 18 characters the ID number; 4 characters (the last may be X) the ID number's
    last four; anything else the exact full name (spaces trimmed, case ignored). `path`
    leads from the searched model to the profile ("" when searching profiles).
    """
    prefix = f"{path}__" if path else ""
    term = term.strip()
    if not term:
        return None
    if _PHONE_TERM.fullmatch(term):
        # The account's phone, or the patient's own (family members have their own).
        return Q(**{f"{prefix}user__phone_hash": phone_lookup_hash(term)}) | Q(
            **{f"{prefix}phone_hash": lookup_hash(term, context=PHONE_HASH_CONTEXT)}
        )
    if len(term) == 18:
        try:
            number = parse_id_card(term).number
        except ValidationError:  # not an ID number: nothing to match
            return None
        digest = lookup_hash(number, context=ID_CARD_HASH_CONTEXT)
        return Q(**{f"{prefix}id_card_hash": digest})
    if _ID_LAST4_TERM.fullmatch(term):
        return Q(**{f"{prefix}id_card_last4_hash": id_card_last4_hash(term)})
    if any(char.isdigit() for char in term):
        # Numbers are read only in ASCII digits (above); names have no digits, so a term
        # with other digits (full-width "１２３４") names nobody.
        return None
    return Q(**{f"{prefix}name_hash": name_lookup_hash(term)})


def user_get_by_phone(*, phone: str, for_update: bool = False) -> User | None:
    """The account whose phone is `phone` (an 11-digit number, already validated), or None.

    The only way to find a user by phone: the number is stored as a keyed hash (unique, so
    at most one account) and an encrypted copy. `for_update` locks the row (inside a
    transaction).
    """
    users = user_filter_by_phone(phone)
    if for_update:
        users = users.select_for_update()
    return users.first()


# -- membership ------------------------------------------------------------------------


@dataclass(frozen=True)
class Privileges:
    """What a member's level allows. Shares and rates are exact Decimals between 0 and 1."""

    level_code: str
    level_name: str
    # The level may book this many hours before a session's public release (0: no early
    # booking).
    priority_hours: int
    # Share of each session's seats the level may book before the public release:
    # Decimal("0.1") = 10 %. Read as the whole-seat quota floor(capacity x share).
    reserved_share: Decimal
    late_cancel_monthly_quota: int
    # Share of the fee the member pays: Decimal("0.95") = 5 % off; 1 = full price.
    discount_rate: Decimal
    waitlist_priority: int
    # Called before other checked-in patients where the hospital allows it.
    visit_priority: bool = False

    @classmethod
    def of_level(cls, level: MemberLevel) -> "Privileges":
        return cls(
            level_code=level.code,
            level_name=level.name,
            priority_hours=level.priority_hours,
            reserved_share=Decimal(level.reserved_share_bp) / BASIS_POINTS,
            late_cancel_monthly_quota=level.late_cancel_monthly_quota,
            discount_rate=Decimal(level.discount_rate_bp) / BASIS_POINTS,
            waitlist_priority=level.waitlist_priority,
            visit_priority=level.visit_priority,
        )


# No level rows at all (a database set up without the default levels): no privileges.
NO_PRIVILEGES = Privileges(
    level_code="",
    level_name="",
    priority_hours=0,
    reserved_share=Decimal(0),
    late_cancel_monthly_quota=0,
    discount_rate=Decimal(1),
    waitlist_priority=0,
)


def member_level_for_user(*, user: User) -> MemberLevel | None:
    """The user's current level, read fresh from the database in one query.

    A user without a level (NULL: never earned or was granted anything) is at the entry
    level, the one with the lowest threshold. None only when no levels exist.
    """
    is_users_level = Exists(
        User.objects.filter(pk=user.pk, member_level_id=OuterRef("pk"))
    )
    return (
        MemberLevel.objects.annotate(is_users_level=is_users_level)
        .order_by("-is_users_level", "points_required", "pk")
        .first()
    )


def member_privileges_for_user(*, user: User) -> Privileges:
    """The privileges of the user's level (one query; fresh, not from the user in memory)."""
    level = member_level_for_user(user=user)
    return NO_PRIVILEGES if level is None else Privileges.of_level(level)


def member_priority_hours_for_user_id(*, user_id: int) -> int | None:
    """The priority window (hours) of an active user's level, the level chosen as
    member_level_for_user chooses it, in one query; None when no active user has that id.
    For the seat stock, which reads it for users it only knows by their token's id."""
    entry_level = MemberLevel.objects.order_by("points_required", "pk").values(
        "priority_hours"
    )[:1]
    hours = (
        User.objects.filter(pk=user_id, is_active=True)
        .annotate(
            hours=Coalesce(
                F("member_level__priority_hours"), Subquery(entry_level), Value(0)
            )
        )
        .values_list("hours", flat=True)
    )
    return next(iter(hours[:1]), None)


def member_level_ids_with_visit_priority() -> tuple[set[int], bool]:
    """(ids of the levels whose members are called first at the visit, whether the entry
    level has it): a user without a level (NULL) is at the entry level."""
    levels = member_levels()
    ids = {level.pk for level in levels if level.visit_priority}
    return ids, bool(levels) and levels[0].visit_priority


def member_levels() -> list[MemberLevel]:
    """Every level, lowest threshold first (a handful of rows)."""
    return list(MemberLevel.objects.order_by("points_required", "pk"))


def member_level_reached(
    levels: list[MemberLevel], *, points: int, floor_id: int | None
) -> MemberLevel | None:
    """The level a balance of `points` earns, never below the level `floor_id` (a grant).

    `levels` as member_levels() returns them. The highest level whose threshold the
    points reach, or the floor if that is higher; the entry level when the points reach
    no threshold. None only when there are no levels.
    """
    if not levels:
        return None
    reached = [level for level in levels if level.points_required <= points]
    level = reached[-1] if reached else levels[0]
    floor = next((item for item in levels if item.pk == floor_id), None)
    if floor is not None and floor.points_required > level.points_required:
        return floor
    return level


def local_month_bounds(
    now: datetime.datetime,
) -> tuple[datetime.datetime, datetime.datetime]:
    """[first instant, first instant of the next month) of `now`'s month, local time."""
    local = timezone.localtime(now)
    zone = local.tzinfo  # a zoneinfo zone: correct when passed to the constructor
    start = datetime.datetime(local.year, local.month, 1, tzinfo=zone)
    following = datetime.datetime(
        local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=zone
    )
    return start, following


def member_late_cancels_used(*, user: User, now: datetime.datetime) -> int:
    """Late cancels the user made in the local calendar month of `now`."""
    start, end = local_month_bounds(now)
    return LateCancelUse.objects.filter(
        user_id=user.pk, used_at__gte=start, used_at__lt=end
    ).count()


def member_late_cancel_allowed(*, user: User, now: datetime.datetime) -> bool:
    """Whether the user may still cancel after the deadline this month (local calendar).

    True when the level has a late-cancel quota and fewer uses than the quota fall in the
    month of `now`. A check only: member_late_cancel_use records the use under a lock.
    """
    quota = member_privileges_for_user(user=user).late_cancel_monthly_quota
    return quota > 0 and member_late_cancels_used(user=user, now=now) < quota


@dataclass(frozen=True)
class MemberSummary:
    """What the member page shows."""

    level: MemberLevel | None
    privileges: Privileges
    points: int
    next_level: MemberLevel | None
    points_to_next_level: int | None
    late_cancels_used: int


def member_summary_for_user(*, user: User, now: datetime.datetime) -> MemberSummary:
    """Level, privileges, points and the next level of `user` (two queries).

    `user` must be freshly loaded (the request's user is): its points and level are used.
    """
    levels = list(MemberLevel.objects.order_by("points_required", "pk"))
    level = next(
        (item for item in levels if item.pk == user.member_level_id),
        levels[0] if levels else None,
    )
    above = [
        item
        for item in levels
        if level is not None and item.points_required > level.points_required
    ]
    next_level = above[0] if above else None
    quota = 0 if level is None else level.late_cancel_monthly_quota
    return MemberSummary(
        level=level,
        privileges=NO_PRIVILEGES if level is None else Privileges.of_level(level),
        points=user.points,
        next_level=next_level,
        points_to_next_level=(
            None
            if next_level is None
            else max(next_level.points_required - user.points, 0)
        ),
        late_cancels_used=member_late_cancels_used(user=user, now=now) if quota else 0,
    )


def points_entry_list_for_user(*, user: User) -> QuerySet[PointsEntry]:
    """The user's points ledger, newest first."""
    return PointsEntry.objects.filter(user_id=user.pk).order_by("-created_at", "-pk")


def points_applied_for_sources(*, source_type: str, source_ids: list[str]) -> int:
    """Sum of the points applied by these events (0 when none was recorded)."""
    total = PointsEntry.objects.filter(
        source_type=source_type, source_id__in=source_ids
    ).aggregate(total=Sum("delta"))["total"]
    return total or 0

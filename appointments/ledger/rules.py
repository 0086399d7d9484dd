"""A person's restriction at a hospital, from the ledger and the hospital's rules.

The definition: for each active rule, `count` entries of its kind whose first and last lie
within `window_days` of each other restrict the person; the restriction lifts at the local
midnight starting the day `restriction_days` after the last entry of such a run (the
latest run counts). Voided entries (an accepted appeal) never count, so an accepted appeal
lifts the restriction at once: nothing about it is cached anywhere.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import ngettext

from appointments.errors import ErrorCode
from appointments.models import LedgerEntry, LedgerKind, LedgerRule
from common.errors import Conflict, DomainError

# A hospital without a row of its own for a kind has this rule for it (None: not counted).
DEFAULT_RULES: dict[str, tuple[int, int, int] | None] = {
    LedgerKind.NO_SHOW: (3, 90, 30),
    LedgerKind.LATE_CANCEL: None,
}


@dataclass(frozen=True)
class Restriction:
    kind: str
    count: int
    window_days: int
    until: datetime.datetime  # aware; booking is barred before it

    @property
    def until_date(self) -> datetime.date:
        return timezone.localdate(self.until)


def rules_for_hospital(hospital_id: int) -> list[LedgerRule]:
    """The hospital's active rules, the defaults standing in for kinds without a row."""
    rows = {r.kind: r for r in LedgerRule.objects.filter(hospital_id=hospital_id)}
    rules = []
    for kind, default in DEFAULT_RULES.items():
        row = rows.get(kind)
        if row is None and default is not None:
            count, window, days = default
            row = LedgerRule(
                hospital_id=hospital_id,
                kind=kind,
                count=count,
                window_days=window,
                restriction_days=days,
            )
        if row is not None and row.is_active:
            rules.append(row)
    return rules


def _run_end(
    times: list[datetime.datetime], rule: LedgerRule
) -> datetime.datetime | None:
    """When the latest run of `rule.count` entries within the window stops restricting."""
    window = datetime.timedelta(days=rule.window_days)
    end = None
    for last in range(rule.count - 1, len(times)):
        if times[last] - times[last - rule.count + 1] <= window:
            day = timezone.localdate(times[last]) + datetime.timedelta(
                days=rule.restriction_days
            )
            end = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    return end


def person_restriction(
    *, id_card_hash: str, hospital_id: int, now: datetime.datetime | None = None
) -> Restriction | None:
    """The restriction in force for the person at the hospital at `now`, or None."""
    now = now or timezone.now()
    rules = rules_for_hospital(hospital_id)
    if not rules:
        return None
    horizon = max(r.window_days + r.restriction_days for r in rules) + 1
    rows = list(
        LedgerEntry.objects.filter(
            id_card_hash=id_card_hash,
            hospital_id=hospital_id,
            voided_at__isnull=True,
            occurred_at__gte=now - datetime.timedelta(days=horizon),
        )
        .order_by("occurred_at", "pk")
        .values_list("kind", "occurred_at")
    )
    found = None
    for rule in rules:
        times = [at for kind, at in rows if kind == rule.kind]
        end = _run_end(times, rule)
        if end is not None and end > now and (found is None or end > found.until):
            found = Restriction(
                kind=rule.kind,
                count=rule.count,
                window_days=rule.window_days,
                until=end,
            )
    return found


def restriction_refusal(restriction: Restriction) -> DomainError:
    """The refusal every booking path raises, with the reason and the end date."""
    values = {
        "n": restriction.count,
        "days": restriction.window_days,
        "date": restriction.until_date.isoformat(),
    }
    if restriction.kind == LedgerKind.LATE_CANCEL:
        message = ngettext(
            "You cancelled late %(n)d time within %(days)d days; you cannot book at "
            "this hospital before %(date)s.",
            "You cancelled late %(n)d times within %(days)d days; you cannot book at "
            "this hospital before %(date)s.",
            restriction.count,
        )
    else:
        message = ngettext(
            "You missed %(n)d appointment within %(days)d days; you cannot book at "
            "this hospital before %(date)s.",
            "You missed %(n)d appointments within %(days)d days; you cannot book at "
            "this hospital before %(date)s.",
            restriction.count,
        )
    return Conflict(ErrorCode.BOOKING_RESTRICTED, message % values)


def restriction_check(
    *, id_card_hash: str, hospital_id: int, now: datetime.datetime | None = None
) -> None:
    """Raise the refusal when the person may not book at the hospital. Members too."""
    restriction = person_restriction(
        id_card_hash=id_card_hash, hospital_id=hospital_id, now=now
    )
    if restriction is not None:
        raise restriction_refusal(restriction)

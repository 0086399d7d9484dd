"""The release queue's minute job: sessions marked by demand, and demand written down.

- Before the stock loads the sessions releasing within the preload horizon, the hospital's
  demand factor marks those whose doctor's last release was overrun
  (scheduling.services.sessions_release_queue_mark_auto).
- Once a release is DEMAND_AFTER old, the accounts that tried to book in it (the stock's
  HyperLogLog, `d<session>`) are written to the session (`release_demand`), once, so the
  factor has a figure for the doctor's next release, and staff see it in the admin.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from appointments.release_queue.store import demand_count
from appointments.stock.client import ERRORS, stock_failed, stock_usable
from scheduling.models import ClinicSession
from scheduling.services import (
    session_release_demand_record,
    sessions_release_queue_mark_auto,
)

# The release's demand is counted over its first DEMAND_AFTER, and read up to DEMAND_UNTIL
# after it (the stock keeps the count while the session is loaded).
DEMAND_AFTER = datetime.timedelta(minutes=15)
DEMAND_UNTIL = datetime.timedelta(hours=6)


@dataclass(frozen=True)
class UpkeepReport:
    marked: list[int]
    demand_recorded: int


def release_demand_record(*, now: datetime.datetime) -> int:
    """Write the demand of releases DEMAND_AFTER old. Returns how many were written."""
    if not stock_usable():
        return 0
    sessions = ClinicSession.objects.filter(
        release_at__lte=now - DEMAND_AFTER,
        release_at__gt=now - DEMAND_UNTIL,
        release_demand__isnull=True,
    ).values_list("pk", flat=True)
    written = 0
    try:
        for session_id in sessions:
            written += session_release_demand_record(
                session_id=session_id, demand=demand_count(session_id)
            )
    except ERRORS as exc:
        stock_failed(exc)
    return written


def release_queue_upkeep(*, now: datetime.datetime | None = None) -> UpkeepReport:
    now = now or timezone.now()
    return UpkeepReport(
        marked=sessions_release_queue_mark_auto(now=now),
        demand_recorded=release_demand_record(now=now),
    )

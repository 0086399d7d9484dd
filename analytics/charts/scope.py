"""What a dashboard is read for: one hospital (or every hospital) and a range of days.

Days are the hospitals' local calendar days (settings.TIME_ZONE, Asia/Shanghai). A
timestamp is turned into its local day inside the database by adding the zone's fixed
offset to the UTC value and taking its date: China keeps no daylight saving time, and
MySQL/MariaDB's CONVERT_TZ answers NULL unless the server's time-zone tables were loaded,
which a hospital's database server cannot be relied on to have.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    DateField,
    DateTimeField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    Value,
)
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

UTC = datetime.UTC


@dataclass(frozen=True)
class DashboardScope:
    """One hospital (`hospital_id`) or every hospital (None), from `start` to `end`
    inclusive (local days)."""

    hospital_id: int | None
    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def hospital_filter(self, path: str) -> Q:
        """Q limiting rows to the hospital through `path` (e.g. "hospital_id"); all when None."""
        if self.hospital_id is None:
            return Q()
        return Q(**{path: self.hospital_id})

    def moment_filter(self, path: str) -> Q:
        """Q keeping timestamps at `path` that fall on the scope's local days."""
        start, end = day_bounds(self.start, self.end)
        return Q(**{f"{path}__gte": start, f"{path}__lt": end})

    def day_filter(self, path: str) -> Q:
        """Q keeping dates at `path` (a DateField) inside the range."""
        return Q(**{f"{path}__gte": self.start, f"{path}__lte": self.end})

    def all_days(self) -> list[datetime.date]:
        return [self.start + datetime.timedelta(days=n) for n in range(self.days)]


def day_bounds(
    start: datetime.date, end: datetime.date
) -> tuple[datetime.datetime, datetime.datetime]:
    """[local midnight of start, local midnight after end) as aware datetimes."""
    zone = timezone.get_default_timezone()
    return (
        datetime.datetime.combine(start, datetime.time(), tzinfo=zone),
        datetime.datetime.combine(
            end + datetime.timedelta(days=1), datetime.time(), tzinfo=zone
        ),
    )


def _zone_offset() -> datetime.timedelta:
    # The offset now; the hospitals' zone has had no daylight saving time since 1991.
    offset = datetime.datetime.now(timezone.get_default_timezone()).utcoffset()
    return offset or datetime.timedelta(0)


class LocalDay(Func):
    """The local calendar day of a UTC timestamp column, in the database's own terms
    (native functions: no per-row call back into Python on SQLite)."""

    output_field = DateField()

    def __init__(self, expression: Any) -> None:
        super().__init__(expression)
        self.minutes = int(_zone_offset().total_seconds() // 60)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, %s)", (*params, f"{self.minutes:+d} minutes")

    def as_mysql(self, compiler: Any, connection: Any, **extra: Any):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"DATE({sql} + INTERVAL %s MINUTE)", (*params, self.minutes)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any):
        # Other engines: shift by the offset and truncate in UTC, through Django.
        shifted = ExpressionWrapper(
            self.source_expressions[0] + Value(_zone_offset()),
            output_field=DateTimeField(),
        )
        return compiler.compile(TruncDate(shifted, tzinfo=UTC))


def local_day(path: str) -> LocalDay:
    """The local calendar day of the timestamp at `path`, computed by the database."""
    return LocalDay(F(path))


class WeekOf(TruncWeek):
    """The Monday of a date's week; on SQLite with its native date functions (Django's
    TruncWeek calls back into Python for every row there)."""

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any):
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, 'weekday 0', '-6 days')", params

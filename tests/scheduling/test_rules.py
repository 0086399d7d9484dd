"""The pure time rules: slot splitting, release moment and booking cutoff, to the minute."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from scheduling.models import BookingRule, ClinicSession, ScheduleTemplate, Slot
from scheduling.rules import (
    booking_cutoff_at,
    booking_opens_at,
    local_datetime,
    release_at,
    split_into_slots,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.date(2026, 3, 9)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI
    )


def _split(start, end, minutes=30, seats=5, date=MONDAY):
    return [
        (
            s.astimezone(SHANGHAI).strftime("%H:%M"),
            e.astimezone(SHANGHAI).strftime("%H:%M"),
            n,
        )
        for s, e, n in split_into_slots(
            date=date,
            start_time=datetime.time(*start),
            end_time=datetime.time(*end),
            slot_minutes=minutes,
            seats_per_slot=seats,
        )
    ]


# -- split_into_slots --------------------------------------------------------------------


def test_an_even_session_splits_into_equal_slots():
    assert _split((8, 0), (10, 0)) == [
        ("08:00", "08:30", 5),
        ("08:30", "09:00", 5),
        ("09:00", "09:30", 5),
        ("09:30", "10:00", 5),
    ]


def test_a_remainder_of_at_least_half_a_slot_becomes_a_short_slot_with_proportional_seats():
    # 20 of 30 minutes: 5 * 2/3 = 3.33 seats, rounded to 3
    assert _split((8, 0), (9, 20))[-1] == ("09:00", "09:20", 3)
    # exactly half: 2.5 seats, rounded half up to 3
    assert _split((8, 0), (9, 15))[-1] == ("09:00", "09:15", 3)


def test_a_remainder_under_half_a_slot_is_added_to_the_last_slot():
    assert _split((8, 0), (9, 10)) == [("08:00", "08:30", 5), ("08:30", "09:10", 5)]


def test_a_session_shorter_than_a_slot_is_one_slot_with_at_least_one_seat():
    assert _split((8, 0), (8, 20)) == [("08:00", "08:20", 3)]
    assert _split((8, 0), (8, 5), seats=1) == [("08:00", "08:05", 1)]


def test_slots_are_aware_datetimes_in_shanghai_time():
    starts_at, ends_at, _seats = split_into_slots(
        date=MONDAY,
        start_time=datetime.time(8, 0),
        end_time=datetime.time(8, 30),
        slot_minutes=30,
        seats_per_slot=5,
    )[0]
    assert starts_at == datetime.datetime(2026, 3, 9, 0, 0, tzinfo=datetime.UTC)
    assert ends_at.utcoffset() == datetime.timedelta(hours=8)


@pytest.mark.parametrize(
    "date",
    [
        # Dates when other zones change their clocks; Shanghai has no DST, so a session
        # is always its wall-clock length.
        datetime.date(2026, 3, 8),  # US spring forward
        datetime.date(2026, 3, 29),  # EU spring forward
        datetime.date(2026, 10, 25),  # EU fall back
        datetime.date(2026, 11, 1),  # US fall back
    ],
)
def test_sessions_on_foreign_dst_dates_keep_their_wall_clock_length(date):
    slots = split_into_slots(
        date=date,
        start_time=datetime.time(1, 0),
        end_time=datetime.time(4, 0),
        slot_minutes=60,
        seats_per_slot=2,
    )
    assert [(s.astimezone(SHANGHAI).hour, e - s) for s, e, _n in slots] == [
        (1, datetime.timedelta(hours=1)),
        (2, datetime.timedelta(hours=1)),
        (3, datetime.timedelta(hours=1)),
    ]


def test_an_empty_or_backwards_session_has_no_slots():
    assert _split((10, 0), (10, 0)) == []
    assert _split((10, 0), (9, 0)) == []


# -- release and cutoff -------------------------------------------------------------------


def test_release_is_at_the_release_time_window_days_before():
    rule = BookingRule(window_days=7, release_time=datetime.time(8, 0))

    assert release_at(rule, MONDAY) == at(MONDAY - datetime.timedelta(days=7), 8, 0)


def _slot_at(hour: int, minute: int = 0) -> tuple[Slot, ClinicSession]:
    session = ClinicSession(date=MONDAY)
    starts = at(MONDAY, hour, minute)
    return Slot(
        starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30)
    ), session


def test_minutes_before_cutoff_is_that_many_minutes_before_the_slot():
    rule = BookingRule(
        cutoff_mode=BookingRule.CutoffMode.MINUTES_BEFORE, cutoff_minutes=30
    )
    slot, session = _slot_at(9, 0)

    assert booking_cutoff_at(rule, slot, session) == at(MONDAY, 8, 30)


def test_previous_evening_cutoff_is_the_evening_before_for_every_slot():
    rule = BookingRule(
        cutoff_mode=BookingRule.CutoffMode.PREVIOUS_EVENING,
        cutoff_time=datetime.time(18, 0),
    )
    early, session = _slot_at(8, 0)
    late, _ = _slot_at(16, 30)

    sunday = MONDAY - datetime.timedelta(days=1)
    assert booking_cutoff_at(rule, early, session) == at(sunday, 18, 0)
    assert booking_cutoff_at(rule, late, session) == at(sunday, 18, 0)


def test_local_datetime_is_aware():
    assert local_datetime(MONDAY, datetime.time(8, 0)).tzinfo is not None


# -- model ranges -------------------------------------------------------------------------


def _error_fields(obj) -> set[str]:
    with pytest.raises(ValidationError) as excinfo:
        obj.clean()
    return set(excinfo.value.message_dict)


def test_default_rule_is_valid():
    BookingRule().clean()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("window_days", 0),
        ("window_days", 31),
        ("hold_minutes", 0),
        ("hold_minutes", 121),
        ("cutoff_minutes", 24 * 60 + 1),
        ("cancel_deadline_minutes", 7 * 24 * 60 + 1),
        ("checkin_open_minutes", 12 * 60 + 1),
        ("max_active_per_day", 0),
        ("max_active_per_week", 51),
    ],
)
def test_rule_values_outside_the_sensible_range_are_refused(field, value):
    assert _error_fields(BookingRule(**{field: value})) == {field}


def test_rule_boundaries_are_accepted():
    BookingRule(
        window_days=30, hold_minutes=120, max_active_per_day=20, max_active_per_week=50
    ).clean()
    BookingRule(window_days=1, hold_minutes=1, cutoff_minutes=0).clean()


def test_weekly_cap_below_daily_cap_is_refused():
    assert _error_fields(BookingRule(max_active_per_day=3, max_active_per_week=2)) == {
        "max_active_per_week"
    }


def test_evening_cutoff_must_be_in_the_afternoon_or_evening():
    rule = BookingRule(
        cutoff_mode=BookingRule.CutoffMode.PREVIOUS_EVENING,
        cutoff_time=datetime.time(9, 0),
    )
    assert _error_fields(rule) == {"cutoff_time"}


def test_one_day_window_with_release_after_the_evening_cutoff_is_refused():
    rule = BookingRule(
        window_days=1,
        release_time=datetime.time(20, 0),
        cutoff_mode=BookingRule.CutoffMode.PREVIOUS_EVENING,
        cutoff_time=datetime.time(18, 0),
    )
    assert _error_fields(rule) == {"release_time"}


def _template(**changes) -> ScheduleTemplate:
    values = {
        "weekday": 0,
        "period": "morning",
        "start_time": datetime.time(8, 0),
        "end_time": datetime.time(12, 0),
        "slot_minutes": 30,
        "seats_per_slot": 5,
    }
    return ScheduleTemplate(**(values | changes))


def test_template_ranges():
    _template().clean()
    assert _error_fields(_template(end_time=datetime.time(8, 0))) == {"end_time"}
    assert _error_fields(_template(end_time=datetime.time(8, 20))) == {"end_time"}
    assert _error_fields(_template(slot_minutes=4)) == {"slot_minutes"}
    assert _error_fields(_template(seats_per_slot=0)) == {"seats_per_slot"}
    assert _error_fields(_template(seats_per_slot=201)) == {"seats_per_slot"}
    assert _error_fields(_template(fee=10_000_001)) == {"fee"}


@pytest.mark.parametrize(
    ("hours", "opens"),
    [
        (0, "2026-03-10T08:00:00+08:00"),
        (2, "2026-03-10T06:00:00+08:00"),
        (24, "2026-03-09T08:00:00+08:00"),
        (720, "2026-02-08T08:00:00+08:00"),
    ],
)
def test_booking_opens_at_the_release_or_the_priority_hours_before(hours, opens):
    release = datetime.datetime(2026, 3, 10, 8, tzinfo=ZoneInfo("Asia/Shanghai"))

    assert booking_opens_at(release, priority_hours=hours).isoformat() == opens

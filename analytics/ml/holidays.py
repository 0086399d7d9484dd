"""Chinese public holidays (chinesecalendar) with an explicit fallback.

chinesecalendar knows the State Council's holiday and make-up working day (调休)
arrangements only for the years it was released with; outside them it raises. We then fall
back to "Saturday and Sunday are days off, nothing is a public holiday" and say so: the
result carries `known=False`, and training counts such days in the model's metrics
(`holiday_fallback_days`) so nobody mistakes a guess for the calendar.
"""

import datetime
from dataclasses import dataclass

import chinese_calendar


@dataclass(frozen=True)
class DayOff:
    off: (
        bool  # a day off: weekend or public holiday, unless it is a make-up working day
    )
    holiday: bool  # a named public holiday (春节, 国庆节, ...)
    known: bool  # False: outside the calendar's years, weekend rule used


def day_off(day: datetime.date) -> DayOff:
    try:
        off, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return DayOff(off=day.weekday() >= 5, holiday=False, known=False)
    return DayOff(off=bool(off), holiday=bool(off) and name is not None, known=True)

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday in a month when other zones change their clocks; 07:00 in Shanghai.
MONDAY = datetime.date(2026, 3, 9)


def at(
    day: datetime.date, hour: int, minute: int = 0, second: int = 0
) -> datetime.datetime:
    return datetime.datetime(
        day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI
    )


@pytest.fixture
def frozen():
    """Time stands still on Monday 2026-03-09 07:00 Shanghai; move it with frozen.move_to."""
    with time_machine.travel(at(MONDAY, 7, 0), tick=False) as traveller:
        yield traveller

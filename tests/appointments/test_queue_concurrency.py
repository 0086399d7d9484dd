"""Two desks pressing "call next" at once, on the real engine (MariaDB/MySQL; skipped on
SQLite, which serialises writers anyway)."""

from collections import Counter

import pytest

from appointments.models import Appointment
from appointments.services import queue_call_next
from common.errors import Conflict
from common.services import Actor
from scheduling.models import ClinicSession
from tests.appointments.floor_helpers import floor_session, on_floor
from tests.race import needs_row_locks, run_at_once

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    needs_row_locks,
]

ACTOR = Actor.system()


def _call_next(session_id: int):
    def job():
        session = ClinicSession.objects.get(pk=session_id)
        return queue_call_next(actor=ACTOR, session=session)

    return job


def test_desks_calling_at_once_never_call_the_same_patient():
    # given 6 checked-in patients and 10 desks pressing "call next" together
    session = floor_session()
    waiting = [on_floor(session, queue_no=n) for n in range(1, 7)]

    # when
    results = run_at_once([_call_next(session.pk) for _ in range(10)])

    # then each patient was called exactly once, in queue order, and 4 desks were told
    # the queue is empty
    called = [r for r in results if isinstance(r, Appointment)]
    refused = [r.code for r in results if isinstance(r, Conflict)]
    assert len(called) == 6, results
    assert Counter(a.pk for a in called) == Counter(a.pk for a in waiting)
    assert refused == ["queue_empty"] * 4
    rows = Appointment.objects.filter(session=session).order_by("queue_no")
    assert [a.status for a in rows] == ["called"] * 6
    assert [a.call_count for a in rows] == [1] * 6
    by_time = sorted(rows, key=lambda a: (a.last_called_at, a.queue_no))
    assert [a.queue_no for a in by_time] == [1, 2, 3, 4, 5, 6]

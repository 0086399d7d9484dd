"""Staff put sessions in the release queue (排队放号) from the admin's session list: the
mark and its operation-log row, another hospital's sessions untouched, and the seat stock's
copy of the session carrying the gate after commit."""

import pytest
from django.urls import reverse

from appointments.stock import keys
from appointments.stock.loading import sessions_stock_load
from common.models import OperationLog
from scheduling.models import ClinicSession
from tests.appointments.stock_helpers import needs_redis, stock
from tests.scheduling.factories import SlotFactory
from tests.scheduling.test_admin import _staff

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["stock"]


def _act(client, action: str, sessions):
    return client.post(
        reverse("admin:scheduling_clinicsession_changelist"),
        {"action": action, "_selected_action": [s.pk for s in sessions]},
        follow=True,
    )


@needs_redis
def test_staff_mark_and_unmark_their_sessions_and_the_stock_follows(client, stock):
    # given: two sessions of the staff's hospital (one loaded in the stock), one of another
    own = SlotFactory().session
    loaded = SlotFactory(session__doctor__hospital=own.hospital).session
    foreign = SlotFactory().session
    sessions_stock_load([loaded.pk])
    assert stock.hget(keys.session_key(loaded.pk), "q") is None
    client.force_login(_staff(own.hospital))

    # when
    response = _act(client, "release_queue_on", [own, loaded, foreign])

    # then: only the hospital's own; logged; the loaded copy carries the gate
    assert response.status_code == 200
    marked = set(
        ClinicSession.objects.filter(release_queue=True).values_list("pk", flat=True)
    )
    assert marked == {own.pk, loaded.pk}
    assert set(
        OperationLog.objects.filter(action="session_release_queue_on").values_list(
            "object_id", flat=True
        )
    ) == {str(own.pk), str(loaded.pk)}
    assert stock.hget(keys.session_key(loaded.pk), "q") is not None

    # when: taken out again (twice: the second changes nothing)
    _act(client, "release_queue_off", [loaded])
    _act(client, "release_queue_off", [loaded])

    # then
    assert not ClinicSession.objects.get(pk=loaded.pk).release_queue
    assert OperationLog.objects.filter(action="session_release_queue_off").count() == 1
    assert stock.hget(keys.session_key(loaded.pk), "q") is None


@needs_redis
def test_the_session_page_shows_how_the_queue_stands(client, stock):
    from tests.appointments.factories import PatientProfileFactory
    from tests.appointments.release_queue_helpers import at, hot_session, join

    session, _ = hot_session(seats=4, slots=2)
    for _n in range(3):
        join(PatientProfileFactory(), session, at(session, -60))
    client.force_login(_staff(session.hospital))

    page = client.get(
        reverse("admin:scheduling_clinicsession_change", args=[session.pk])
    )

    assert page.status_code == 200
    text = page.content.decode()
    assert "release queue now" in text.lower()
    assert (
        "3 waiting for the draw; 0 places drawn or joined since, 0 admitted; "
        "0 passes in use; 8 seats free."
    ) in text

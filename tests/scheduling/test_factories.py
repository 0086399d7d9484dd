import datetime

import pytest
from django.utils import timezone

from scheduling.models import ClinicSession
from tests.scheduling.factories import SlotFactory

pytestmark = pytest.mark.django_db


def test_slot_factory_makes_a_bookable_slot_in_a_released_open_session():
    # given / when
    first = SlotFactory()
    second = SlotFactory(session=first.session)

    # then
    session = first.session
    assert session.status == ClinicSession.Status.OPEN
    assert session.is_released is True
    assert session.release_at < timezone.now()
    assert session.date == timezone.localdate() + datetime.timedelta(days=2)
    assert timezone.localtime(first.starts_at).time() == datetime.time(8, 0)
    assert second.starts_at == first.ends_at
    assert (first.queue_start, second.queue_start) == (1, 6)
    assert first.seats_left == 5

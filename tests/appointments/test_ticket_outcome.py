"""What a booking ticket means to a client (stock_booking.ticket_outcome), which the API
and the portal both answer from: the appointment once booked, the refusal once refused,
and no user row read unless booked. No Redis needed: tickets are rows."""

import pytest

from appointments.models import BookingTicket
from appointments.services.stock_booking import StockAnswer, ticket_outcome
from common.errors import Conflict, NotFound
from tests.appointments.booking_helpers import book
from tests.appointments.factories import PatientProfileFactory
from tests.scheduling.factories import SlotFactory

T = BookingTicket.Status


def _no_user():
    raise AssertionError("the user row was read")


def test_a_queued_ticket_is_neither_booked_nor_refused_and_reads_no_user():
    outcome = ticket_outcome(
        StockAnswer(ticket_id=7, status=T.QUEUED), load_user=_no_user
    )

    assert (outcome.ticket_id, outcome.status) == (7, T.QUEUED)
    assert (outcome.appointment, outcome.refusal) == (None, None)


@pytest.mark.parametrize(
    ("code", "kind", "status"),
    [("slot_full", Conflict, 409), ("profile_not_found", NotFound, 404)],
)
def test_a_refused_ticket_is_the_refusal_the_database_path_raises(code, kind, status):
    answer = StockAnswer(
        ticket_id=7, status=T.REFUSED, error_code=code, error_message="不行"
    )

    outcome = ticket_outcome(answer, load_user=_no_user)

    assert outcome.appointment is None
    assert isinstance(outcome.refusal, kind)
    assert (outcome.refusal.code, outcome.refusal.message) == (code, "不行")
    assert outcome.refusal.status_code == status


@pytest.mark.django_db
def test_a_booked_ticket_read_back_is_the_users_own_appointment():
    profile = PatientProfileFactory()
    appointment = book(SlotFactory(), profile)
    ticket = BookingTicket.objects.create(
        user_id=profile.user_id,
        profile_id=profile.pk,
        slot_id=appointment.slot_id,
        session_id=appointment.session_id,
        status=T.BOOKED,
        appointment=appointment,
    )

    outcome = ticket_outcome(
        StockAnswer.of_ticket(ticket), load_user=lambda: profile.user
    )

    assert outcome.appointment == appointment
    assert outcome.refusal is None
    with pytest.raises(NotFound):
        ticket_outcome(
            StockAnswer.of_ticket(ticket),
            load_user=lambda: PatientProfileFactory().user,
        )

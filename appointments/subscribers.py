"""Appointments' handlers of events that lower apps publish; subscribed in AppointmentsConfig.ready."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.errors import ErrorCode as AccountsError
from accounts.events import PatientAccountChanged, PatientProfileDeleting
from accounts.models import PatientProfile, User
from appointments.models import Appointment
from appointments.release_queue.services import queue_slots_refresh
from appointments.services.waitlist import waitlist_close_for_profile
from appointments.stock.deltas import stock_seats_added, stock_session_changed
from appointments.stock.loading import user_stock_forget
from common.errors import Conflict
from common.services import Actor
from scheduling.events import ReleaseQueueChanged, SeatsAdded


def patient_profile_deleting(event: PatientProfileDeleting) -> None:
    """Refuse to delete a profile with upcoming appointments; else close its waitlist entries.

    Runs inside patient_profile_delete's transaction (the profile's row is locked), so the
    refusal rolls the deletion back and a deleted patient is never promoted from the
    waitlist into a booking.
    """
    if Appointment.objects.filter(
        profile_id=event.profile_id, status__in=Appointment.UPCOMING
    ).exists():
        raise Conflict(
            AccountsError.PROFILE_HAS_ACTIVE_BOOKINGS,
            _("This patient has upcoming appointments; cancel them first."),
        )
    actor = Actor(
        user=(
            None
            if event.actor_user_id is None
            else User.objects.filter(pk=event.actor_user_id).first()
        ),
        ip=event.actor_ip,
    )
    profile = PatientProfile.objects.get(pk=event.profile_id)
    waitlist_close_for_profile(actor=actor, profile=profile)


def seats_added_stock(event: SeatsAdded) -> None:
    """加号: the seat stock gets the seats after commit (appointments.stock.deltas)."""
    stock_seats_added(
        session_id=event.session_id, slot_id=event.slot_id, seats=event.seats
    )


def patient_account_changed_stock(event: PatientAccountChanged) -> None:
    """After commit: the stock reads the user's profiles and level again when next asked."""
    user_stock_forget(user_id=event.user_id)


def release_queue_changed_stock(event: ReleaseQueueChanged) -> None:
    """A session put in or out of the release queue: after commit the stock's copy of
    the session carries the gate, or no longer does."""
    stock_session_changed(session_id=event.session_id)


def seats_added_release_queue(event: SeatsAdded) -> None:
    """After commit: a queue counts the seats of a slot added to its session."""
    transaction.on_commit(lambda: queue_slots_refresh(session_id=event.session_id))

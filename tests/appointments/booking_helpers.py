"""Booking, waitlist and race helpers shared by the appointments tests."""

from collections.abc import Callable

from accounts.models import PatientProfile
from accounts.selectors import profile_id_card_no
from appointments.models import Appointment, WaitlistEntry
from appointments.services import appointment_book, waitlist_join
from common.errors import Conflict
from common.services import Actor
from scheduling.models import ClinicSession, Slot
from tests.appointments.factories import PatientProfileFactory

ACTOR = Actor.system()


def same_person(profile: PatientProfile) -> PatientProfile:
    """Another account's profile of the same real person (same ID number): the caps count
    the person, across accounts (appointments.services.seat_rules.caps_check)."""
    return PatientProfileFactory(id_card_no=profile_id_card_no(profile))


def book(slot: Slot, profile: PatientProfile | None = None, now=None) -> Appointment:
    profile = profile or PatientProfileFactory()
    return appointment_book(
        actor=ACTOR, user=profile.user, profile=profile, slot=slot, now=now
    )


def join(
    session: ClinicSession, profile: PatientProfile | None = None
) -> WaitlistEntry:
    profile = profile or PatientProfileFactory()
    return waitlist_join(
        actor=ACTOR, user=profile.user, profile=profile, session=session
    )


def outcome(result: object) -> str:
    """What a raced booking came to: "booked", the refusal's code, or the exception."""
    if isinstance(result, Appointment):
        return "booked"
    if isinstance(result, Conflict):
        return result.code
    return repr(result)


def booking_job(profile: PatientProfile, slot_id: int) -> Callable[[], object]:
    """A booking for tests.race.run_at_once: loads the slot in its own thread."""

    def job() -> object:
        slot = Slot.objects.select_related("session__doctor", "session__hospital").get(
            pk=slot_id
        )
        return appointment_book(
            actor=ACTOR, user=profile.user, profile=profile, slot=slot
        )

    return job

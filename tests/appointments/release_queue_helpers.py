"""The release queue (排队放号) in tests: a session in the queue, patients, their places."""

import datetime

from django.utils import timezone

from accounts.models import PatientProfile
from appointments.release_queue.place import Place
from appointments.release_queue.services import release_queue_join, release_queue_place
from scheduling.models import ClinicSession, Slot
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

RELEASE_IN = datetime.timedelta(minutes=10)


def hot_session(
    *, seats: int = 4, slots: int = 1, release_in: datetime.timedelta = RELEASE_IN
) -> tuple[ClinicSession, list[Slot]]:
    """A session in the release queue, releasing `release_in` from now, with `slots`
    slots of `seats` seats each."""
    now = timezone.now()
    session = ClinicSessionFactory(
        release_at=now + release_in, is_released=False, release_queue=True
    )
    return session, [SlotFactory(session=session, capacity=seats) for _ in range(slots)]


def at(session: ClinicSession, seconds: float) -> datetime.datetime:
    """`seconds` after the session's release (before it when negative)."""
    return session.release_at + datetime.timedelta(seconds=seconds)


def join(
    profile: PatientProfile, session: ClinicSession, now: datetime.datetime
) -> tuple[Place, bool]:
    return release_queue_join(
        user=profile.user, session_id=session.pk, profile_id=profile.pk, now=now
    )


def place(
    profile: PatientProfile, session: ClinicSession, now: datetime.datetime
) -> Place:
    return release_queue_place(user_id=profile.user_id, session_id=session.pk, now=now)


def pace_set(settings, *, burst: int, rate: int = 1, window: int = 60) -> None:
    """A slow, known admission pace: `burst` places at the release, `rate` a second."""
    settings.RELEASE_QUEUE_BURST = burst
    settings.RELEASE_QUEUE_ADMIT_PER_SECOND = rate
    settings.RELEASE_QUEUE_WINDOW_SECONDS = window
    settings.RELEASE_QUEUE_OPEN_MINUTES = 30
    settings.RELEASE_QUEUE_MINUTES = 30

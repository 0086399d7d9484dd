"""Events the accounts app publishes for higher apps (common/events.py explains the mechanism)."""

from dataclasses import dataclass

from common.events import DomainEvent


@dataclass(frozen=True)
class PatientProfileDeleting(DomainEvent):
    """A patient profile is about to be deleted.

    Published inside patient_profile_delete's transaction, with the profile's row locked
    and before it is marked deleted. An in-transaction handler may refuse the deletion by
    raising a DomainError (the whole deletion then rolls back), or clean up what the
    profile leaves behind. The actor is carried as plain values for the operation log.
    """

    profile_id: int
    actor_user_id: int | None
    actor_ip: str | None


@dataclass(frozen=True)
class PatientAccountChanged(DomainEvent):
    """What a user may book for or with changed: a profile added or deleted, the member
    level (its priority window) or the account's active flag. Published inside the
    writing transaction; the seat stock (appointments) forgets what it keeps of the user
    after commit."""

    user_id: int

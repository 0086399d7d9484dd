"""The availability cache's version numbers: bumped after commit when seats or rules change."""

import time

from django.core.cache import cache
from django.db import transaction

from hospitals.models import Doctor

# -- availability cache versions ----------------------------------------------------------
#
# A doctor's availability is cached under a key that contains two version numbers: the
# doctor's (bumped by bookings, cancellations, staff edits, release) and the hospital's
# (bumped when the hospital's booking rule changes). Bumping a number makes every old
# entry unreachable at once; the old entries expire on their own after a few seconds.


def _doctor_version_key(doctor_id: int) -> str:
    return f"scheduling:availability:doctor:{doctor_id}"


def _hospital_version_key(hospital_id: int) -> str:
    return f"scheduling:availability:hospital:{hospital_id}"


def _fresh_version() -> int:
    # Never restart at 1 after an eviction: an old entry stored under 1 might still live.
    return time.time_ns()


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # the key is missing (never set, or evicted)
        cache.set(key, _fresh_version(), timeout=None)


def availability_versions(*, doctor_id: int, hospital_id: int) -> tuple[int, int]:
    """The current (doctor, hospital) version numbers of the availability cache."""
    keys = [_doctor_version_key(doctor_id), _hospital_version_key(hospital_id)]
    found = cache.get_many(keys)
    versions = []
    for key in keys:
        if key not in found:
            cache.add(key, _fresh_version(), timeout=None)
            found[key] = cache.get(key, 0)
        versions.append(found[key])
    return versions[0], versions[1]


def availability_doctor_version_key(doctor_id: int) -> str:
    """The cache key of a doctor's version number, to read it with other keys at once."""
    return _doctor_version_key(doctor_id)


def availability_changed(*, doctor_id: int) -> None:
    """Drop the cached availability of one doctor.

    Call it after the change is committed, e.g.
    `transaction.on_commit(lambda: availability_changed(doctor_id=doctor.pk))`,
    so no request can cache the old state again between the bump and the commit.
    """
    _bump(_doctor_version_key(doctor_id))


def availability_hospital_changed(*, hospital_id: int) -> None:
    """Drop the cached availability of every doctor of a hospital (its rule changed).

    Each doctor's number is bumped too: a doctor's session answers
    (scheduling.session_answers) are checked against the doctor's number alone.
    """
    _bump(_hospital_version_key(hospital_id))
    doctor_ids = Doctor.objects.filter(hospital_id=hospital_id).values_list(
        "pk", flat=True
    )
    for doctor_id in doctor_ids:
        _bump(_doctor_version_key(doctor_id))


def _availability_changed_on_commit(doctor_ids) -> None:
    doctor_ids = sorted(set(doctor_ids))
    if doctor_ids:
        transaction.on_commit(
            lambda: [availability_changed(doctor_id=pk) for pk in doctor_ids]
        )

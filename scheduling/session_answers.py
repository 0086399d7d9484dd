"""A doctor's session list as rendered JSON, cached per kind of caller.

What a caller sees of a doctor's sessions is the doctor's availability (scheduling.
selectors, cached under the doctor's and the hospital's availability versions) plus what
sessions_for_caller adds, which depends on the caller only through their CallerPriority:
none for an anonymous caller or a member without a priority window, a member level's
hours and share otherwise. So the rendered answer is cached per doctor, clinic type,
language and priority, with the versions it was built under and the moment it stops
being right: the availability's own (a slot's cutoff, a release, midnight,
AVAILABILITY_CACHE_SECONDS) and the first `can_book_from` still ahead (`bookable_now`
turns true then; for an anonymous caller that is a release, already counted).

The versions are the hospital catalog's (whether the doctor is shown at all: an answer is
only built for a bookable doctor) and the doctor's availability number, which bookings,
cancels, stops, releases and staff edits bump after they commit, and so does a change of
the hospital's booking rule (availability_hospital_changed bumps each doctor's). A read
is one cache round trip, both numbers and the answer together, and no query: the next
read after a change in any process builds the answer again. The numbers are read before
the doctor and the availability: an answer built while a change commits is stored under
the old numbers and never served.
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from common.renderers import JSONRenderer, RenderedJSON
from hospitals.cache import VERSION_KEY, catalog_version
from hospitals.models import Doctor
from scheduling.selectors import (
    CallerPriority,
    doctor_availability_until,
    doctor_get_bookable,
    sessions_for_caller,
)
from scheduling.services import availability_doctor_version_key, availability_versions

Versions = tuple[int, int]


def doctor_sessions_cached(
    *,
    doctor_id: int,
    priority: CallerPriority,
    clinic_type: str,
    now: datetime.datetime,
) -> bytes | None:
    """The cached answer of doctor_sessions_answer, if it is still right; else None."""
    content, _versions = _lookup(doctor_id, priority, clinic_type, now)
    return content


def doctor_sessions_answer(
    *,
    doctor_id: int,
    priority: CallerPriority,
    clinic_type: str,
    now: datetime.datetime,
    render: Callable[[Doctor, list[dict]], Any],
) -> RenderedJSON:
    """The sessions of a bookable doctor as `priority`'s caller sees them at `now`,
    rendered; NotFound (doctor_get_bookable's) for a doctor patients may not book.

    `render` turns the doctor and the caller's sessions (sessions_for_caller's) into
    the answer's data.
    """
    content, versions = _lookup(doctor_id, priority, clinic_type, now)
    if content is not None:
        return RenderedJSON(content)
    # A number is missing (never set, or evicted): start it, still before its reads.
    catalog = catalog_version() if versions is None else versions[0]
    doctor = doctor_get_bookable(doctor_id=doctor_id)
    if versions is None:
        doctor_version, _hospital_version = availability_versions(
            doctor_id=doctor.pk, hospital_id=doctor.hospital_id
        )
        versions = (catalog, doctor_version)
    sessions, valid_until = doctor_availability_until(
        doctor=doctor, now=now, clinic_type=clinic_type
    )
    sessions = sessions_for_caller(sessions, priority=priority, now=now)
    for session in sessions:
        if session["can_book_from"] > now:
            valid_until = min(valid_until, session["can_book_from"])
    content = JSONRenderer().render(render(doctor, sessions))
    cache.set(
        _key(doctor_id, priority, clinic_type),
        (versions, valid_until, content),
        settings.AVAILABILITY_CACHE_SECONDS,
    )
    return RenderedJSON(content)


def _key(doctor_id: int, priority: CallerPriority, clinic_type: str) -> str:
    return (
        f"scheduling:sessions-answer:v1:{get_language()}:{doctor_id}:{clinic_type}:"
        f"{priority.hours}:{priority.share!r}"
    )


def _lookup(
    doctor_id: int, priority: CallerPriority, clinic_type: str, now: datetime.datetime
) -> tuple[bytes | None, Versions | None]:
    """(the cached answer if still right, the current versions or None when one is
    missing); one cache round trip."""
    doctor_key = availability_doctor_version_key(doctor_id)
    key = _key(doctor_id, priority, clinic_type)
    found = cache.get_many([VERSION_KEY, doctor_key, key])
    if VERSION_KEY not in found or doctor_key not in found:
        return None, None
    versions = (found[VERSION_KEY], found[doctor_key])
    entry = found.get(key)
    if entry is not None:
        entry_versions, valid_until, content = entry
        if entry_versions == versions and now < valid_until:
            return content, versions
    return None, versions

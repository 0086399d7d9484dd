"""A doctor's session list as rendered JSON, cached per kind of caller.

What a caller sees of a doctor's sessions is the doctor's availability (scheduling.
selectors, cached under the doctor's and the hospital's availability versions) plus what
sessions_for_caller adds, which depends on the caller only through their CallerPriority:
none for an anonymous caller or a member without a priority window, a member level's
hours and share otherwise. So the rendered answer is cached per doctor, clinic type,
language and priority, with the two versions it was built under and the moment it stops
being right: the availability's own (a slot's cutoff, a release, midnight,
AVAILABILITY_CACHE_SECONDS) and the first `can_book_from` still ahead (`bookable_now`
turns true then; for an anonymous caller that is a release, already counted).

A read is one cache round trip: the two versions and the answer together. A booking, a
cancel, a stop or a staff edit bumps the doctor's version after it commits
(availability_changed), a rule change the hospital's, and the next read in any process
builds the answer again. The versions are read before the availability: an answer built
while a change commits is stored under the old numbers and never served.
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import get_language

from common.renderers import JSONRenderer, RenderedJSON
from hospitals.models import Doctor
from scheduling.selectors import (
    CallerPriority,
    doctor_availability_until,
    sessions_for_caller,
)
from scheduling.services import availability_versions, availability_versions_with


def doctor_sessions_cached(
    *,
    doctor: Doctor,
    priority: CallerPriority,
    clinic_type: str,
    now: datetime.datetime,
) -> bytes | None:
    """The cached answer of doctor_sessions_answer, if it is still right; else None."""
    content, _versions = _lookup(doctor, priority, clinic_type, now)
    return content


def doctor_sessions_answer(
    *,
    doctor: Doctor,
    priority: CallerPriority,
    clinic_type: str,
    now: datetime.datetime,
    render: Callable[[list[dict]], Any],
) -> RenderedJSON:
    """The doctor's sessions as `priority`'s caller sees them at `now`, rendered.

    `render` turns the caller's sessions (sessions_for_caller's) into the answer's data.
    """
    content, versions = _lookup(doctor, priority, clinic_type, now)
    if content is not None:
        return RenderedJSON(content)
    if versions is None:
        versions = availability_versions(
            doctor_id=doctor.pk, hospital_id=doctor.hospital_id
        )
    sessions, valid_until = doctor_availability_until(
        doctor=doctor, now=now, clinic_type=clinic_type
    )
    sessions = sessions_for_caller(sessions, priority=priority, now=now)
    for session in sessions:
        if session["can_book_from"] > now:
            valid_until = min(valid_until, session["can_book_from"])
    content = JSONRenderer().render(render(sessions))
    cache.set(
        _key(doctor, priority, clinic_type),
        (versions, valid_until, content),
        settings.AVAILABILITY_CACHE_SECONDS,
    )
    return RenderedJSON(content)


def _key(doctor: Doctor, priority: CallerPriority, clinic_type: str) -> str:
    return (
        f"scheduling:sessions-answer:v1:{get_language()}:{doctor.pk}:{clinic_type}:"
        f"{priority.hours}:{priority.share!r}"
    )


def _lookup(
    doctor: Doctor, priority: CallerPriority, clinic_type: str, now: datetime.datetime
) -> tuple[bytes | None, tuple[int, int] | None]:
    """(the cached answer if still right, the current versions); one round trip."""
    versions, entry = availability_versions_with(
        doctor_id=doctor.pk,
        hospital_id=doctor.hospital_id,
        key=_key(doctor, priority, clinic_type),
    )
    if versions is not None and entry is not None:
        entry_versions, valid_until, content = entry
        if entry_versions == versions and now < valid_until:
            return content, versions
    return None, versions

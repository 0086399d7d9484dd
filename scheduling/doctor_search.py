"""Doctor search for patients: the catalog's filters plus the schedule's (clinic type, seats).

It lives in scheduling because it reads sessions and slots; hospitals sits below
scheduling and may not. The catalog's visibility rule (active doctor and department of an
open hospital) comes from hospitals.selectors.doctor_search.

The API (scheduling.doctor_search_api) caches its answers as the catalog's.
"""

import datetime

from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from hospitals.selectors import doctor_search
from scheduling.models import BookingRule, ClinicSession, Slot


def doctor_search_for_patient(
    *,
    q: str = "",
    hospital_id: int | None = None,
    department_id: int | None = None,
    title: str = "",
    clinic_type: str = "",
    has_seats_on: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet:
    """Visible doctors matching every given filter, senior doctors first.

    `clinic_type` alone: the doctor holds an open session of that type from today on.
    `has_seats_on`: the doctor has an open session on that date, released (release_at
    has passed, the test booking uses), with a slot that has not started and has a free
    seat, and the doctor's daily cap (if any) not reached on that date; with
    `clinic_type` too, that session is of that type.
    The filters are subqueries: listing a page stays two queries (count and page).
    """
    now = now or timezone.now()
    doctors = doctor_search(
        q=q, hospital_id=hospital_id, department_id=department_id, title=title
    )
    if has_seats_on is not None:
        free_slots = Slot.objects.filter(
            session__doctor=OuterRef("pk"),
            session__date=has_seats_on,
            session__status=ClinicSession.Status.OPEN,
            session__release_at__lte=now,
            starts_at__gt=now,
            booked__lt=F("capacity"),
        )
        free_slots = _before_cutoff(free_slots, date=has_seats_on, now=now)
        if clinic_type:
            free_slots = free_slots.filter(session__clinic_type=clinic_type)
        # The doctor's daily cap: the seats taken over the doctor's open sessions of
        # the date (what the cap counts) must leave a place.
        day_taken = (
            Slot.objects.filter(
                session__doctor=OuterRef("pk"),
                session__date=has_seats_on,
                session__status=ClinicSession.Status.OPEN,
            )
            .values("session__doctor")
            .annotate(taken=Sum("booked"))
            .values("taken")
        )
        under_cap = Q(max_patients_per_day__isnull=True) | Q(
            max_patients_per_day__gt=Coalesce(Subquery(day_taken), Value(0))
        )
        doctors = doctors.filter(Exists(free_slots)).filter(under_cap)
    elif clinic_type:
        sessions = ClinicSession.objects.filter(
            doctor=OuterRef("pk"),
            status=ClinicSession.Status.OPEN,
            date__gte=timezone.localdate(now),
            clinic_type=clinic_type,
        )
        doctors = doctors.filter(Exists(sessions))
    return doctors


def _before_cutoff(
    slots: QuerySet, *, date: datetime.date, now: datetime.datetime
) -> QuerySet:
    """Slots of `date` whose booking cutoff is still ahead of `now`, by each hospital's rule.

    A hospital that never saved a rule has the defaults, as scheduling.rules has them.
    """
    defaults = BookingRule()
    rule = "session__hospital__booking_rule__"
    mode = Coalesce(F(rule + "cutoff_mode"), Value(defaults.cutoff_mode))
    minutes = Coalesce(F(rule + "cutoff_minutes"), Value(defaults.cutoff_minutes))
    evening = Coalesce(F(rule + "cutoff_time"), Value(defaults.cutoff_time))
    # Durations compare as microseconds on the engines the project runs on.
    until_start = ExpressionWrapper(
        F("starts_at") - Value(now, output_field=DateTimeField()),
        output_field=DurationField(),
    )
    cutoff = ExpressionWrapper(
        minutes * Value(60_000_000), output_field=DurationField()
    )
    minutes_before = Q(cutoff_mode=BookingRule.CutoffMode.MINUTES_BEFORE) & Q(
        until_start__gt=cutoff
    )
    # PREVIOUS_EVENING: booking closes at the rule's time on the day before `date`.
    # (Compared as today + 1 so that no date from a query string can overflow.)
    local_now = timezone.localtime(now)
    tomorrow = local_now.date() + datetime.timedelta(days=1)
    if date > tomorrow:
        evening_open = Q()
    elif date == tomorrow:
        evening_open = Q(evening_cutoff__gt=local_now.time())
    else:
        evening_open = Q(pk__in=[])
    previous_evening = Q(cutoff_mode=BookingRule.CutoffMode.PREVIOUS_EVENING) & (
        evening_open
    )
    return slots.alias(
        cutoff_mode=mode, until_start=until_start, evening_cutoff=evening
    ).filter(minutes_before | previous_evening)

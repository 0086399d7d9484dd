"""The rush benchmark's pieces: the naive baseline, the figures, the audit, and one tiny run.

The end-to-end run starts gunicorn on a temporary SQLite file of its own, so it needs no
test database and never touches the one pytest made.
"""

import datetime
import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import PatientProfile, User
from appointments.models import Appointment
from benchmarks.rush.audit import audit_is_clean, session_audit
from benchmarks.rush.baseline import AppointmentBookNaiveApi, appointment_book_naive
from benchmarks.rush.fixtures import (
    OPTIMIZED_PATH,
    bench_data_create,
    bench_data_delete,
)
from benchmarks.rush.report import Outcome, percentile, summarize
from benchmarks.rush.server import server_errors
from common.errors import Conflict
from common.models import OperationLog
from common.services import Actor
from hospitals.models import Hospital
from scheduling.models import Slot
from tests.appointments.factories import PatientProfileFactory
from tests.appointments.test_concurrency import outcome, run_at_once
from tests.race import needs_row_locks
from tests.scheduling.factories import SlotFactory

pytestmark = pytest.mark.clock

ACTOR = Actor.system()


def book_naive(profile, slot):
    return appointment_book_naive(
        actor=ACTOR, user=profile.user, profile=profile, slot=slot
    )


# -- the naive baseline ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_naive_booking_takes_one_seat_like_the_real_one():
    # given
    slot = SlotFactory(capacity=2)
    profile = PatientProfileFactory()

    # when
    appointment = book_naive(profile, slot)

    # then
    slot.refresh_from_db()
    assert slot.booked == 1
    assert appointment.status == Appointment.Status.PENDING_PAYMENT
    assert appointment.queue_no == 1
    assert appointment.slot_id == slot.pk
    assert appointment.profile_id == profile.pk
    assert (
        OperationLog.objects.filter(
            action="appointment.create", object_id=str(appointment.pk)
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_the_naive_booking_of_a_full_slot_is_refused_and_changes_nothing():
    # given
    slot = SlotFactory(capacity=1)
    book_naive(PatientProfileFactory(), slot)

    # when
    with pytest.raises(Conflict) as excinfo:
        book_naive(PatientProfileFactory(), slot)

    # then
    assert excinfo.value.code == "slot_full"
    slot.refresh_from_db()
    assert slot.booked == 1
    assert Appointment.objects.filter(slot=slot).count() == 1


@pytest.mark.django_db
def test_the_naive_booking_refuses_a_second_booking_in_the_session():
    # given
    slot = SlotFactory(capacity=3)
    profile = PatientProfileFactory()
    book_naive(profile, slot)

    # when
    with pytest.raises(Conflict) as excinfo:
        book_naive(profile, slot)

    # then
    assert excinfo.value.code == "already_booked"
    slot.refresh_from_db()
    assert slot.booked == 1
    assert Appointment.objects.filter(profile=profile).count() == 1


def test_the_naive_endpoint_is_not_routed_unless_the_benchmark_turns_it_on():
    # given: the default settings (BENCHMARK_BASELINE_ENDPOINT unset)

    # when / then
    with pytest.raises(NoReverseMatch):
        reverse("api:benchmarks:book-naive")


@pytest.mark.django_db
def test_the_naive_view_answers_201_then_the_error_shape_when_full():
    # given
    slot = SlotFactory(capacity=1)
    first, second = PatientProfileFactory(), PatientProfileFactory()
    view = AppointmentBookNaiveApi.as_view()

    def post(profile):
        request = APIRequestFactory().post(
            "/api/v1/benchmarks/book-naive/",
            {"slot_id": slot.pk, "profile_id": profile.pk},
            format="json",
        )
        force_authenticate(request, user=profile.user)
        return view(request)

    # when
    booked = post(first)
    refused = post(second)

    # then
    assert booked.status_code == 201
    assert booked.data["queue_no"] == 1
    assert booked.data["status"] == "pending_payment"
    assert refused.status_code == 409
    assert refused.data == {
        "error": {
            "code": "slot_full",
            "message": "This time slot is fully booked.",
            "fields": {},
        }
    }
    slot.refresh_from_db()
    assert slot.booked == 1


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
@needs_row_locks
def test_fifty_naive_bookings_of_the_last_seat_give_one_success():
    # given
    slot = SlotFactory(capacity=3, booked=2)
    profiles = [PatientProfileFactory() for _ in range(50)]

    def job(profile):
        def run():
            from appointments.selectors import slot_get_for_booking

            return book_naive(profile, slot_get_for_booking(slot_id=slot.pk))

        return run

    # when
    results = run_at_once([job(p) for p in profiles])

    # then
    assert Counter(outcome(r) for r in results) == {"booked": 1, "slot_full": 49}
    slot.refresh_from_db()
    assert slot.booked == 3
    assert Appointment.objects.filter(slot=slot).count() == 1


# -- figures and audit -------------------------------------------------------------------


def test_percentiles_use_the_nearest_rank():
    # given
    values = [float(n) for n in range(1, 101)]

    # when / then
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def test_summarize_splits_bookings_refusals_and_other_answers():
    # given
    outcomes = [
        Outcome(201, "", 0.010),
        Outcome(201, "", 0.030),
        Outcome(409, "slot_full", 0.002),
        Outcome(409, "already_booked", 0.004),
        Outcome(500, "server_error", 0.5),
        Outcome(0, "TimeoutError", 30.0),
    ]

    # when
    figures = summarize(outcomes, elapsed=2.0, not_sent=4, retried=1)

    # then
    assert figures["requests"] == 6
    assert figures["not_sent"] == 4
    assert figures["booked"] == 2
    assert figures["sold_out"] == 1
    assert figures["other_errors"] == {
        "409 already_booked": 1,
        "500 server_error": 1,
        "TimeoutError": 1,
    }
    assert figures["booked_p50_ms"] == 10.0
    assert figures["booked_p99_ms"] == 30.0
    assert figures["sold_out_p99_ms"] == 2.0
    assert figures["requests_per_second"] == 3.0
    assert figures["retried_stale_connections"] == 1


def test_server_errors_name_the_exception_that_ended_each_500():
    # given
    log = "\n".join(
        [
            "2026-01-05 08:00:00,001 WARNING django.request Conflict: /api/v1/appointments/book/",
            "2026-01-05 08:00:00,002 ERROR django.request Internal Server Error: /api/v1/appointments/book/",
            "Traceback (most recent call last):",
            '  File "x.py", line 1, in f',
            "sqlite3.OperationalError: database is locked",
            "",
            "The above exception was the direct cause of the following exception:",
            "",
            "Traceback (most recent call last):",
            "django.db.utils.OperationalError: database is locked",
            "2026-01-05 08:00:00,003 ERROR django.request Internal Server Error: /api/v1/benchmarks/book-naive/",
            "Traceback (most recent call last):",
            "MySQLdb.OperationalError: (1213, 'Deadlock found')",
        ]
    )

    # when
    errors = server_errors(log)

    # then
    assert errors == {
        "/api/v1/appointments/book/": {
            "django.db.utils.OperationalError: database is locked": 1
        },
        "/api/v1/benchmarks/book-naive/": {
            "MySQLdb.OperationalError: (1213, 'Deadlock found')": 1
        },
    }


@pytest.mark.django_db
def test_the_audit_of_a_correctly_booked_session_is_clean():
    # given
    slot = SlotFactory(capacity=2)
    other = SlotFactory(session=slot.session, capacity=1)
    book_naive(PatientProfileFactory(), slot)
    book_naive(PatientProfileFactory(), slot)
    book_naive(PatientProfileFactory(), other)

    # when
    audit = session_audit(session_id=slot.session_id)

    # then
    assert audit == {
        "capacity": 3,
        "booked_counter": 3,
        "appointments": 3,
        "overbooked_seats": 0,
        "overbooked_rows": 0,
        "duplicate_bookings": 0,
        "queue_numbers_held_twice": 0,
        "counter_mismatches": 0,
    }
    assert audit_is_clean(audit) is True


@pytest.mark.django_db
def test_the_audit_finds_appointments_beyond_a_slots_capacity():
    # given: a full slot, then one more appointment row written behind the counter's back
    slot = SlotFactory(capacity=1)
    first = book_naive(PatientProfileFactory(), slot)
    intruder = PatientProfileFactory()
    Appointment.objects.bulk_create(
        [
            Appointment(
                order_no="X" * 24,
                user=intruder.user,
                profile=intruder,
                slot=slot,
                session=slot.session,
                doctor=first.doctor,
                hospital=first.hospital,
                status=Appointment.Status.BOOKED,
                queue_no=2,
                fee=0,
                visit_starts_at=slot.starts_at,
                visit_ends_at=slot.ends_at,
            )
        ]
    )

    # when
    audit = session_audit(session_id=slot.session_id)

    # then
    assert audit["appointments"] == 2
    assert audit["overbooked_rows"] == 1
    assert audit["overbooked_seats"] == 0
    assert audit["counter_mismatches"] == 1
    assert audit_is_clean(audit) is False


@pytest.mark.django_db
def test_the_bench_data_spreads_the_seats_and_gives_each_patient_one_booking():
    # given / when: 31 seats over 6 slots, 4 patients per workload
    workloads = bench_data_create(
        tag="t1",
        seats=31,
        patients=4,
        slot_count=6,
        token_lifetime=datetime.timedelta(minutes=5),
    )

    # then
    optimized = workloads[0]
    assert [w.name for w in workloads] == ["optimized", "baseline"]
    assert optimized.path == OPTIMIZED_PATH
    slots = list(Slot.objects.filter(session_id=optimized.session_id))
    assert [s.capacity for s in slots] == [6, 5, 5, 5, 5, 5]
    assert [s.queue_start for s in slots] == [1, 7, 12, 17, 22, 27]
    bodies = [json.loads(b.body) for b in optimized.bookings]
    assert [b["slot_id"] for b in bodies] == [s.pk for s in slots[:4]]
    for booking, body in zip(optimized.bookings, bodies, strict=True):
        profile = PatientProfile.objects.get(pk=body["profile_id"])
        assert AccessToken(booking.token)["user_id"] == str(profile.user_id)
    assert User.objects.filter(username__startswith="rush-t1-").count() == 8


@pytest.mark.django_db
def test_deleting_the_bench_data_leaves_nothing_behind():
    # given: a run's data with one booking in it
    workloads = bench_data_create(
        tag="t2",
        seats=2,
        patients=2,
        slot_count=1,
        token_lifetime=datetime.timedelta(minutes=5),
    )
    profile = PatientProfile.objects.get(
        pk=json.loads(workloads[0].bookings[0].body)["profile_id"]
    )
    book_naive(profile, Slot.objects.get(session_id=workloads[0].session_id))
    kept = PatientProfileFactory()

    # when
    bench_data_delete(tag="t2")

    # then
    assert User.objects.filter(username__startswith="rush-t2-").exists() is False
    assert Hospital.objects.filter(name__contains="t2").exists() is False
    assert Appointment.objects.exists() is False
    assert OperationLog.objects.exists() is False
    assert list(PatientProfile.objects.all()) == [kept]


# -- one tiny end-to-end run -------------------------------------------------------------


def test_a_tiny_rush_over_http_books_every_seat_once_on_both_endpoints(
    tmp_path, monkeypatch
):
    # given: no DATABASE_URL, so the benchmark makes its own SQLite file
    monkeypatch.delenv("DATABASE_URL", raising=False)
    output = tmp_path / "figures.json"
    out = StringIO()

    # when
    call_command(
        "rush_benchmark",
        patients=40,
        seats=5,
        slots=5,
        concurrency=8,
        workers=2,
        threads=2,
        max_seconds=60,
        json_output=str(output),
        stdout=out,
    )

    # then
    figures = json.loads(output.read_text())
    assert figures["settings"]["database"] == "sqlite"
    for name in ("optimized", "baseline"):
        run = figures[name]
        assert run["other_errors"] == {}, out.getvalue()
        assert run["server_errors"] == {}
        assert run["requests"] == 40
        assert run["not_sent"] == 0
        assert run["booked"] == 5
        assert run["sold_out"] == 35
        assert run["audit"] == {
            "capacity": 5,
            "booked_counter": 5,
            "appointments": 5,
            "overbooked_seats": 0,
            "overbooked_rows": 0,
            "duplicate_bookings": 0,
            "queue_numbers_held_twice": 0,
            "counter_mismatches": 0,
        }
    assert "optimized/baseline: requests per second" in out.getvalue()

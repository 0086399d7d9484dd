"""The rush benchmark's pieces: the naive baseline, the ceiling view, the audit in the
database, the data, and one tiny run (figures and wrk: test_rush_figures.py, test_rush_wrk.py).

The end-to-end run starts gunicorn on a temporary SQLite file of its own, so it needs no
test database and never touches the one pytest made; it needs wrk.
"""

import datetime
import json
import shutil
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, path, reverse
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import PatientProfile, User
from appointments.models import Appointment
from benchmarks.rush.audit import (
    answers_audit,
    audit_is_clean,
    committed_profiles,
    session_audit,
)
from benchmarks.rush.baseline import AppointmentBookNaiveApi, appointment_book_naive
from benchmarks.rush.ceiling import json_ceiling
from benchmarks.rush.fixtures import (
    NAIVE_PATH,
    REAL_PATH,
    bench_data_create,
    bench_data_delete,
)
from benchmarks.rush.server import server_errors
from benchmarks.rush.verdicts import Told
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


@pytest.mark.parametrize("name", ["book-naive", "ceiling"])
def test_the_benchmarks_routes_are_not_routed_unless_the_benchmark_turns_them_on(name):
    # given: the default settings (BENCHMARK_BASELINE_ENDPOINT unset)

    # when / then
    with pytest.raises(NoReverseMatch):
        reverse(f"api:benchmarks:{name}")


# The ceiling view under the project's MIDDLEWARE, as the benchmark's server routes it.
urlpatterns = [path("ceiling/", json_ceiling)]


@pytest.mark.django_db  # open, so that a query would be counted rather than refused
@pytest.mark.urls(__name__)
def test_the_ceiling_answers_small_json_behind_the_middleware_without_a_query(
    client, django_assert_num_queries
):
    # given: this module's URLconf, the project's MIDDLEWARE

    # when
    with django_assert_num_queries(0):
        response = client.get("/ceiling/")
        refused = client.post("/ceiling/")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert response["X-Frame-Options"] == "DENY"  # the middleware ran
    assert refused.status_code == 405


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
def test_the_answers_audit_reads_the_committed_appointments_of_the_session():
    # given: two patients told yes (one really booked), two told no (one really booked)
    slot = SlotFactory(capacity=5)
    kept_yes, lost_yes, phantom_no, true_no = (
        PatientProfileFactory() for _ in range(4)
    )
    book_naive(kept_yes, slot)
    book_naive(phantom_no, slot)
    told = {
        kept_yes.pk: Told.YES_AT_ANSWER,
        lost_yes.pk: Told.YES_AFTER_TICKET,
        phantom_no.pk: Told.NO_AT_ANSWER,
        true_no.pk: Told.NO_AFTER_TICKET,
    }

    # when
    audit = answers_audit(told, committed_profiles(session_id=slot.session_id))

    # then
    assert audit == {"lost": 1, "phantom": 1, "queued": 0, "unanswered_committed": 0}
    assert audit_is_clean(audit) is False


def _data(tag, **sizes):
    return bench_data_create(
        tag=tag,
        token_lifetime=datetime.timedelta(minutes=5),
        **{
            "seats": 31,
            "patients": 4,
            "slot_count": 6,
            "large_seats": 40,
            "large_patients": 5,
            "large_slot_count": 4,
            **sizes,
        },
    )


@pytest.mark.django_db
def test_the_bench_data_spreads_the_seats_and_gives_each_patient_one_booking():
    # given / when: 31 hot seats over 6 slots, 4 patients per hot workload
    data = _data("t1")

    # then
    real = data.hot[0]
    assert [w.name for w in data.hot] == ["hot_real", "hot_naive"]
    assert [w.path for w in data.hot] == [REAL_PATH, NAIVE_PATH]
    slots = list(Slot.objects.filter(session_id=real.session_id))
    assert [s.capacity for s in slots] == [6, 5, 5, 5, 5, 5]
    assert [s.queue_start for s in slots] == [1, 7, 12, 17, 22, 27]
    bodies = [json.loads(b.body) for b in real.bookings]
    assert [b["slot_id"] for b in bodies] == [s.pk for s in slots[:4]]
    for booking, body in zip(real.bookings, bodies, strict=True):
        profile = PatientProfile.objects.get(pk=body["profile_id"])
        assert booking.profile_id == profile.pk
        assert AccessToken(booking.token)["user_id"] == str(profile.user_id)
    # 2 x 4 hot, 2 x 5 large, 6 fillers of the sold-out session (one seat per slot)
    assert data.patients == 24
    assert User.objects.filter(username__startswith="rush-t1-").count() == 24


@pytest.mark.django_db
def test_the_large_session_has_ten_minute_slots_and_one_booking_per_patient():
    # given / when
    data = _data("t3")

    # then
    for workload in data.large:
        slots = list(Slot.objects.filter(session_id=workload.session_id))
        assert [s.capacity for s in slots] == [10, 10, 10, 10]
        assert {(s.ends_at - s.starts_at).seconds for s in slots} == {600}
        profiles = [b.profile_id for b in workload.bookings]
        assert len(profiles) == len(set(profiles)) == 5
    assert [w.name for w in data.large] == ["large_real", "large_naive"]


@pytest.mark.django_db
def test_the_sold_out_session_is_full_of_real_bookings_and_refuses_every_hot_patient():
    # given
    data = _data("t4")

    # when
    audit = session_audit(session_id=data.sold_out_session_id)

    # then: full, by as many real appointments as seats
    assert audit["capacity"] == 6
    assert audit["appointments"] == 6
    assert audit["counter_mismatches"] == 0
    hot_profiles = [b.profile_id for w in data.hot for b in w.bookings]
    assert [b.profile_id for b in data.refusals] == hot_profiles
    sold_out_slots = set(
        Slot.objects.filter(session_id=data.sold_out_session_id).values_list(
            "pk", flat=True
        )
    )
    assert {json.loads(b.body)["slot_id"] for b in data.refusals} <= sold_out_slots


@pytest.mark.django_db
def test_deleting_the_bench_data_leaves_nothing_behind():
    # given: a run's data with one booking in it
    data = _data("t2", seats=2, patients=2, slot_count=1)
    profile = PatientProfile.objects.get(pk=data.hot[0].bookings[0].profile_id)
    book_naive(profile, Slot.objects.get(session_id=data.hot[0].session_id))
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


@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (--for-bench)")
def test_a_tiny_run_measures_every_phase_and_audits_every_booking(
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
        large_seats=24,
        large_slots=2,
        large_patients=20,
        concurrency=8,
        workers=2,
        threads=2,
        duration=2,
        warmup=1,  # a first, cold request is not the phase
        wrk_connections=4,
        max_seconds=60,
        json_output=str(output),
        stdout=out,
    )

    # then
    figures = json.loads(output.read_text())
    assert figures["settings"]["database"] == "sqlite"
    assert figures["median"] is None
    [run] = figures["runs"]
    phases = run["phases"]
    for name in ("ceiling", "catalog", "refusals"):
        assert phases[name]["requests"] > 0, out.getvalue()
        assert phases[name]["errors"] == 0, out.getvalue()
        assert phases[name]["expected"] == phases[name]["requests"]
        assert phases[name]["client"]["cpu_seconds"] >= 0
    assert set(phases["refusals"]["statuses"]) == {"409"}
    assert phases["refusals"]["audit"]["appointments"] == 5
    for name, seats, patients in (
        ("hot_real", 5, 40),
        ("hot_naive", 5, 40),
        ("large_real", 24, 20),
        ("large_naive", 24, 20),
    ):
        phase = phases[name]
        assert phase["other_answers"] == {}, out.getvalue()
        assert phase["server_errors"] == {}
        assert phase["requests"] == patients
        assert phase["committed"] == min(seats, patients)
        # With the seat stock a winner is told yes by 201, or by a ticket when the
        # writer took longer than the wait; a refusal by 409, or by a refused ticket.
        told = phase["told"]
        yes = told.get("yes_at_answer", 0) + told.get("yes_after_ticket", 0)
        no = told.get("no_at_answer", 0) + told.get("no_after_ticket", 0)
        assert yes == min(seats, patients), told
        assert no == max(0, patients - seats), told
        assert audit_is_clean(phase["audit"]), phase["audit"]
    assert phases["hot_real"]["sold_out_after_s"] is not None
    assert phases["large_real"]["sold_out_after_s"] is None  # 20 patients, 24 seats
    assert "ratios: refusals/ceiling" in out.getvalue()

"""The rush benchmark's figures, without a server: what each patient was told (201, 409,
or a 202 ticket that became booked, refused or stayed queued), the audit of those answers,
the client's CPU, percentiles, the median of runs and the printed report."""

import json
import subprocess
import sys
from collections import namedtuple

import pytest

from benchmarks.rush.audit import answers_audit, audit_is_clean
from benchmarks.rush.cpu import CpuUse, usage_seconds, wait_with_usage
from benchmarks.rush.phases import answers_figures
from benchmarks.rush.report import ratios, report_lines
from benchmarks.rush.stats import median_of_runs, percentile
from benchmarks.rush.verdicts import (
    TICKET_PATH,
    Answer,
    TicketState,
    Told,
    answer_read,
    ticket_read,
    told,
    told_at,
    told_counts,
)


def body(value) -> bytes:
    return json.dumps(value).encode()


def refusal(code: str) -> bytes:
    return body({"error": {"code": code, "message": "…", "fields": {}}})


def ticket(ticket_id: str, **extra) -> bytes:
    return body({"ticket": ticket_id, "status": "queued", **extra})


# -- reading the answers -----------------------------------------------------------------


def test_a_201_is_a_seat_and_a_409_a_refusal_with_its_code():
    # when
    booked = answer_read(201, body({"id": 7}), seconds=0.01, at=0.5)
    refused = answer_read(409, refusal("slot_full"), seconds=0.02, at=0.6)

    # then
    assert booked == Answer(201, "", 0.01, 0.5)
    assert refused == Answer(409, "slot_full", 0.02, 0.6)
    assert (booked.pending, refused.pending) == (False, False)
    assert refused.label == "409 slot_full"


def test_a_202_is_pending_with_its_ticket_and_poll_path():
    # when
    answer = answer_read(
        202,
        ticket("T1", poll="/api/v1/appointments/tickets/T1/"),
        seconds=0.01,
        at=1.0,
    )

    # then
    assert answer.pending is True
    assert answer.ticket == "T1"
    assert answer.poll == "/api/v1/appointments/tickets/T1/"


def test_a_202_without_a_poll_path_is_polled_at_the_tickets_endpoint():
    # when
    answer = answer_read(202, ticket("abc"), seconds=0.01, at=1.0)

    # then
    assert answer.poll == TICKET_PATH.format(ticket="abc")
    assert answer.poll == "/api/v1/appointments/tickets/abc/"


@pytest.mark.parametrize("data", [b"", b"not json", body({"status": "queued"})])
def test_a_202_without_a_ticket_is_not_pending(data):
    # when
    answer = answer_read(202, data, seconds=0.01, at=1.0)

    # then
    assert answer.pending is False
    assert answer.label == "202 without a ticket"
    assert told(answer) == Told.NOTHING


@pytest.mark.parametrize(
    ("status", "data", "expected"),
    [
        (
            200,
            body({"ticket": "T", "status": "queued"}),
            TicketState("queued", "", 2.0),
        ),
        (
            200,
            body({"ticket": "T", "status": "booked"}),
            TicketState("booked", "", 2.0),
        ),
        (
            200,
            body({"status": "refused", "error": {"code": "slot_full"}}),
            TicketState("refused", "slot_full", 2.0),
        ),
        (200, body({"status": "lost in the post"}), None),
        (404, refusal("not_found"), None),
        (500, b"<html>", None),
    ],
)
def test_a_poll_answer_gives_the_tickets_status_or_nothing(status, data, expected):
    # when
    state = ticket_read(status, data, at=2.0)

    # then
    if expected is None:
        assert state.status == ""
        assert state.final is False
    else:
        assert state == expected
        assert state.final is (expected.status != "queued")


# -- what each patient was told ------------------------------------------------------------

PENDING = Answer(202, "", 0.01, 1.0, ticket="T", poll="/t/T/")


@pytest.mark.parametrize(
    ("answer", "state", "expected"),
    [
        (Answer(201, "", 0.01, 1.0), None, Told.YES_AT_ANSWER),
        (Answer(409, "slot_full", 0.01, 1.0), None, Told.NO_AT_ANSWER),
        (Answer(409, "already_booked", 0.01, 1.0), None, Told.NO_AT_ANSWER),
        (PENDING, TicketState("booked", "", 3.0), Told.YES_AFTER_TICKET),
        (PENDING, TicketState("refused", "slot_full", 3.0), Told.NO_AFTER_TICKET),
        (PENDING, TicketState("queued", "", 31.0), Told.QUEUED),
        (PENDING, None, Told.QUEUED),
        (Answer(500, "server_error", 0.01, 1.0), None, Told.NOTHING),
        (Answer(0, "TimeoutError", 30.0, 31.0), None, Told.NOTHING),
        (None, None, Told.NOTHING),
    ],
)
def test_what_the_patient_was_told_in_the_end(answer, state, expected):
    assert told(answer, state) == expected


def test_the_moment_of_the_verdict_is_the_answers_or_the_tickets():
    # then
    assert told_at(Answer(201, "", 0.01, 1.5)) == 1.5
    assert told_at(PENDING, TicketState("booked", "", 4.25)) == 4.25
    assert told_at(PENDING, TicketState("queued", "", 9.0)) is None
    assert told_at(None) is None


def test_the_verdicts_are_counted_each_by_name_zeros_included():
    # when
    counts = told_counts([Told.YES_AT_ANSWER, Told.NO_AT_ANSWER, Told.NO_AT_ANSWER])

    # then
    assert counts == {
        "yes_at_answer": 1,
        "yes_after_ticket": 0,
        "no_at_answer": 2,
        "no_after_ticket": 0,
        "queued": 0,
        "nothing": 0,
    }


# -- the audit of the answers ------------------------------------------------------------


def test_the_audit_finds_lost_phantom_and_queued_bookings():
    # given: profile -> what it was told; profile -> committed appointments at the end
    told_by_profile = {
        1: Told.YES_AT_ANSWER,  # booked: fine
        2: Told.YES_AFTER_TICKET,  # told yes, nothing committed: lost
        3: Told.NO_AT_ANSWER,  # refused: fine
        4: Told.NO_AFTER_TICKET,  # told no, but committed: phantom
        5: Told.QUEUED,  # still queued: a failure of its own
        6: Told.NOTHING,  # a 500, yet committed: counted, not a failure
    }
    committed = {1: 1, 4: 1, 6: 1}

    # when
    audit = answers_audit(told_by_profile, committed)

    # then
    assert audit == {"lost": 1, "phantom": 1, "queued": 1, "unanswered_committed": 1}
    assert audit_is_clean(audit) is False


def test_an_audit_with_every_answer_true_is_clean():
    # when
    audit = answers_audit(
        {1: Told.YES_AT_ANSWER, 2: Told.YES_AFTER_TICKET, 3: Told.NO_AT_ANSWER},
        {1: 1, 2: 1},
    )

    # then
    assert audit == {"lost": 0, "phantom": 0, "queued": 0, "unanswered_committed": 0}
    assert audit_is_clean(audit | {"overbooked_rows": 0, "duplicate_bookings": 0})
    assert not audit_is_clean(audit | {"duplicate_bookings": 1})


def test_the_answers_figures_split_seats_refusals_tickets_and_errors():
    # given
    answers = [
        Answer(201, "", 0.010, 0.1),
        Answer(201, "", 0.030, 0.2),
        Answer(409, "slot_full", 0.002, 0.3),
        PENDING,
        Answer(409, "already_booked", 0.004, 0.4),
        Answer(500, "server_error", 0.5, 0.9),
        Answer(0, "TimeoutError", 30.0, 31.0),
        None,
    ]

    # when
    figures = answers_figures(answers, seconds=2.0)

    # then
    assert figures["requests"] == 7
    assert figures["not_sent"] == 1
    assert figures["requests_per_second"] == 3.5
    assert figures["booked_p50_ms"] == 10.0
    assert figures["booked_p99_ms"] == 30.0
    assert figures["sold_out_p99_ms"] == 2.0
    assert figures["other_answers"] == {
        "409 already_booked": 1,
        "500 server_error": 1,
        "TimeoutError": 1,
    }
    assert figures["errors"] == 3


# -- the client's CPU --------------------------------------------------------------------

Usage = namedtuple("Usage", "ru_utime ru_stime")


def test_the_cpu_share_is_cpu_seconds_over_wall_time_and_cores():
    # given: 3 CPU seconds over 10 wall seconds on 2 cores
    cpu = CpuUse(seconds=usage_seconds(Usage(2.25, 0.75)), wall=10.0, cores=2)

    # then
    assert cpu.cores_busy == pytest.approx(0.3)
    assert cpu.machine_share == pytest.approx(0.15)
    assert cpu.as_dict() == {
        "cpu_seconds": 3.0,
        "wall_seconds": 10.0,
        "cores": 2,
        "cores_busy": 0.3,
        "machine_share": 0.15,
    }
    assert CpuUse(1.0, 0.0, 2).cores_busy is None


def test_a_childs_cpu_seconds_are_read_when_it_is_reaped():
    # given: a child that burns at least 0.3 s of its own CPU, then exits with 3
    burn = "import time, sys\nwhile time.process_time() < 0.3: pass\nsys.exit(3)\n"
    process = subprocess.Popen([sys.executable, "-c", burn])

    # when
    returncode, seconds = wait_with_usage(process, timeout=60)

    # then
    assert returncode == 3
    assert process.returncode == 3  # the Popen object knows: no second reaping
    assert seconds >= 0.3


# -- percentiles, medians, ratios, the report --------------------------------------------


def test_percentiles_use_the_nearest_rank():
    # given
    values = [float(n) for n in range(1, 101)]

    # when / then
    assert percentile(values, 0.50) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) is None


def test_the_median_of_runs_takes_each_figure_through_nested_reports():
    # given: three runs' figures, one with a figure the others lack, one with no value
    runs = [
        {
            "ceiling": {"rps": 100.0, "p99": 9.0, "load": "wrk"},
            "x": {"errors": {"500": 1}},
        },
        {"ceiling": {"rps": 300.0, "p99": None, "load": "wrk"}, "x": {}},
        {"ceiling": {"rps": 200.0, "p99": 5.0, "load": "wrk"}, "x": {}},
    ]

    # when
    median = median_of_runs(runs)

    # then
    assert median == {
        "ceiling": {"rps": 200.0, "p99": 7.0, "load": "wrk"},
        "x": {"errors": {"500": 1}},
    }
    assert median_of_runs([{"a": 1}, {"a": 2}, {"a": 4}, {"a": 3}]) == {"a": 2.5}
    assert median_of_runs([{"n": 0}, {"n": 0}]) == {"n": 0}
    assert isinstance(median_of_runs([{"n": 2}, {"n": 4}])["n"], int)
    assert median_of_runs([{"label": "a"}, {"label": "b"}]) == {"label": None}
    assert median_of_runs([{"sold_out": None}, {"sold_out": None}]) == {
        "sold_out": None
    }


def _wrk_phase(rps: float) -> dict:
    return {
        "load": "wrk, 2 threads",
        "requests": int(rps * 10),
        "requests_per_second": rps,
        "p50_ms": 5.0,
        "p99_ms": 20.0,
        "errors": 0,
        "client": {"cores_busy": 0.5, "machine_share": 0.25, "cores": 2},
    }


def _booking_phase(accepted: float, *, lost: int = 0) -> dict:
    return {
        "load": "python, 64 threads",
        "requests": 2000,
        "requests_per_second": 250.0,
        "p50_ms": 100.0,
        "p99_ms": 900.0,
        "errors": 0,
        "told": told_counts([Told.YES_AT_ANSWER] * 30 + [Told.NO_AT_ANSWER] * 1970),
        "committed": 30,
        "accepted_per_second": accepted,
        "sold_out_after_s": 1.5,
        "client": {"cores_busy": 0.8, "machine_share": 0.4, "cores": 2},
        "audit": {"capacity": 30, "overbooked_rows": 0, "lost": lost, "phantom": 0},
    }


def test_the_ratios_compare_refusals_and_catalog_with_the_ceiling_and_real_with_naive():
    # given
    phases = {
        "ceiling": _wrk_phase(1000.0),
        "catalog": _wrk_phase(400.0),
        "refusals": _wrk_phase(250.0),
        "large_real": _booking_phase(90.0),
        "large_naive": _booking_phase(60.0),
    }

    # when
    found = ratios(phases)

    # then
    assert found["refusals_per_ceiling"] == 0.25
    assert found["catalog_per_ceiling"] == 0.4
    assert found["accepted_real_per_naive"] == 1.5
    assert found["hot_requests_real_per_naive"] is None  # no hot phase measured


def test_the_report_prints_every_phase_its_client_cpu_and_a_failed_audit():
    # given: a lost booking in the hot session's real phase
    phases = {
        "ceiling": _wrk_phase(1000.0),
        "catalog": _wrk_phase(400.0),
        "refusals": _wrk_phase(250.0),
        "hot_real": _booking_phase(20.0, lost=1),
        "hot_naive": _booking_phase(18.0),
    }

    # when
    text = "\n".join(report_lines({"phases": phases, "ratios": ratios(phases)}))

    # then
    for title in (
        "ceiling: plain Django JSON",
        "catalog: GET hospitals/",
        "sold-out refusals (409)",
        "hot session, real",
        "hot session, naive",
    ):
        assert title in text
    assert "0.50 cores (25 % of 2)" in text
    assert "refusals/ceiling 0.25, catalog/ceiling 0.40" in text
    [failed] = [line for line in text.splitlines() if line.endswith("FAILED")]
    assert failed.startswith("hot session, real")

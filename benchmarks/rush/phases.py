"""The phases of a run, each measured against the running server; their figures.

Throughput phases (wrk, fixed duration after a short unmeasured warm-up):
- ceiling: GET the plain Django JSON view (benchmarks/rush/ceiling.py), anonymous;
- catalog: GET /api/v1/hospitals/, the public catalog, anonymous;
- refusals: POST appointments/book/ to a sold-out session, rotating over the patients
  (their own JWT and profile each); 409 slot_full expected, any other answer an error.
Booking phases (the Python client, one booking per patient, every answer kept):
- hot_real / hot_naive: the hot session sold by the real endpoint and by the naive one;
- large_real / large_naive: the large session, where (nearly) every booking is accepted.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.rush.audit import answers_audit, committed_profiles, session_audit
from benchmarks.rush.cpu import CpuUse, machine_cores, process_cpu_seconds
from benchmarks.rush.fixtures import REAL_PATH, BenchData, Workload
from benchmarks.rush.load import fire
from benchmarks.rush.stats import ms, percentile
from benchmarks.rush.stock import Chaos, Writer, chaos_wanted
from benchmarks.rush.tickets import Pending, tickets_settle
from benchmarks.rush.verdicts import YES, Answer, told, told_at, told_counts
from benchmarks.rush.wrk import WrkRequest, wrk_run

CEILING_PATH = "/api/v1/benchmarks/ceiling/"
CATALOG_PATH = "/api/v1/hospitals/"


def throughput_phases(
    *, data: BenchData, port: int, options: dict[str, Any], workdir: Path
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The ceiling, the catalog and the sold-out refusals, each through wrk, in turn."""
    phases = (
        ("ceiling", [WrkRequest("GET", CEILING_PATH)], 200, ""),
        ("catalog", [WrkRequest("GET", CATALOG_PATH)], 200, ""),
        (
            "refusals",
            [WrkRequest("POST", REAL_PATH, b.token, b.body) for b in data.refusals],
            409,
            "slot_full",
        ),
    )
    for name, requests, status, code in phases:
        figures = wrk_phase(
            name=name,
            port=port,
            requests=requests,
            expect_status=status,
            expect_code=code,
            options=options,
            workdir=workdir,
        )
        figures["path"] = requests[0].path
        if name == "refusals":
            figures["patients"] = len(data.refusals)
            # Nothing sold beyond the seats, whatever wrk was answered.
            figures["audit"] = session_audit(session_id=data.sold_out_session_id)
        yield name, figures


def wrk_phase(
    *,
    name: str,
    port: int,
    requests: list[WrkRequest],
    expect_status: int,
    expect_code: str,
    options: dict[str, Any],
    workdir: Path,
) -> dict[str, Any]:
    """A warm-up run (not measured: connections, lazy imports, caches), then the run."""
    settings = {
        "port": port,
        "requests": requests,
        "connections": options["wrk_connections"],
        "threads": options["wrk_threads"],
        "expect_status": expect_status,
        "expect_code": expect_code,
        "timeout": options["request_timeout"],
        "workdir": workdir,
    }
    if options["warmup"]:
        wrk_run(seconds=options["warmup"], name=f"{name}-warmup", **settings)
    return {
        "load": "wrk",
        **wrk_run(seconds=options["duration"], name=name, **settings),
    }


def booking_phase(
    *,
    workload: Workload,
    port: int,
    options: dict[str, Any],
    chaos: Chaos | None = None,
) -> dict[str, Any]:
    """Every patient of `workload` books once (with `chaos`'s faults beside it); tickets
    settled; the database audited."""
    fired = fire(
        port=port,
        path=workload.path,
        bookings=workload.bookings,
        concurrency=options["concurrency"],
        max_seconds=options["max_seconds"],
        request_timeout=options["request_timeout"],
    )
    if chaos is not None:
        chaos.finish()
    cpu_before = process_cpu_seconds()
    settled = tickets_settle(
        port=port,
        pending=[
            Pending(index, workload.bookings[index].token, answer)
            for index, answer in enumerate(fired.answers)
            if answer is not None and answer.pending
        ],
        started=fired.started,
        budget=options["ticket_seconds"],
        concurrency=options["concurrency"],
        request_timeout=options["request_timeout"],
    )
    cpu = CpuUse(
        fired.cpu_seconds + process_cpu_seconds() - cpu_before,
        fired.seconds + settled.seconds,
        machine_cores(),
    )
    verdicts = [
        told(answer, settled.states.get(index))
        for index, answer in enumerate(fired.answers)
    ]
    audit = session_audit(session_id=workload.session_id)
    committed = committed_profiles(session_id=workload.session_id)
    if chaos is not None:  # told yes, committed, then cancelled by the racer
        committed.update(chaos.cancelled_profiles)
    audit |= answers_audit(
        {b.profile_id: v for b, v in zip(workload.bookings, verdicts, strict=True)},
        committed,
    )
    yes_at = [
        told_at(answer, settled.states.get(index))
        for index, (answer, verdict) in enumerate(
            zip(fired.answers, verdicts, strict=True)
        )
        if verdict in YES
    ]
    sold_out = audit["appointments"] >= audit["capacity"] and bool(yes_at)
    wall = fired.seconds + settled.seconds
    return {
        "load": f"python, {options['concurrency']} threads",
        "path": workload.path,
        **answers_figures(fired.answers, seconds=fired.seconds),
        "told": told_counts(verdicts),
        "tickets": {
            "pending_at_answer": len(settled.states),
            "polls": settled.polls,
            "failed_polls": settled.failed_polls,
            "seconds": round(settled.seconds, 3),
        },
        "committed": audit["appointments"],
        "accepted_per_second": round(audit["appointments"] / wall, 1) if wall else None,
        "sold_out_after_s": round(max(yes_at), 3) if sold_out else None,
        "retried_stale_connections": fired.retried,
        "client": {"name": "python", **cpu.as_dict()},
        "chaos": chaos.done if chaos is not None else [],
        "audit": audit,
    }


def _expected(answer: Answer) -> bool:
    """A booking answer that is no error: a seat, a ticket, or "sold out"."""
    return (
        answer.status == 201
        or answer.pending
        or (answer.status == 409 and answer.code == "slot_full")
    )


def answers_figures(answers: list[Answer | None], *, seconds: float) -> dict[str, Any]:
    """Counts, rates and latencies of a booking phase's answers (None: not sent)."""
    sent = [a for a in answers if a is not None]
    booked = [a.seconds for a in sent if a.status == 201]
    refused = [a.seconds for a in sent if a.status == 409 and a.code == "slot_full"]
    every = [a.seconds for a in sent]
    others = Counter(a.label for a in sent if not _expected(a))
    return {
        "requests": len(sent),
        "not_sent": len(answers) - len(sent),
        "seconds": round(seconds, 3),
        "requests_per_second": round(len(sent) / seconds, 1) if seconds else None,
        "p50_ms": ms(percentile(every, 0.50)),
        "p99_ms": ms(percentile(every, 0.99)),
        "booked_p50_ms": ms(percentile(booked, 0.50)),
        "booked_p99_ms": ms(percentile(booked, 0.99)),
        "sold_out_p50_ms": ms(percentile(refused, 0.50)),
        "sold_out_p99_ms": ms(percentile(refused, 0.99)),
        "other_answers": dict(sorted(others.items())),
        "errors": sum(others.values()),
    }


def booking_phases(
    *,
    data: BenchData,
    port: int,
    options: dict[str, Any],
    out_write: Callable[[str], Any],
    writer: Writer | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The hot session then the large one, each by both endpoints (naive first if asked);
    the real endpoint's phases with the faults `--chaos` asks for (benchmarks/rush/stock.py)."""
    wanted = chaos_wanted(options)
    for group in (data.hot, data.large):
        for workload in reversed(group) if options["baseline_first"] else group:
            began = time.perf_counter()
            chaos = None
            if workload.path == REAL_PATH and wanted:
                chaos = Chaos()
                if group is data.hot and "cancel-race" in wanted:
                    chaos.cancel_race(
                        workload.session_id, limit=max(1, options["seats"] // 5)
                    )
                if group is data.large and writer and "kill-writer" in wanted:
                    chaos.kill_writer(writer, after=2.0)
                if group is data.large and "flush-redis" in wanted:
                    chaos.flush_redis(after=4.0)
            figures = booking_phase(
                workload=workload, port=port, options=options, chaos=chaos
            )
            for event in figures["chaos"]:
                out_write(f"    {workload.name}: {event}")
            out_write(
                f"  {workload.name}: {figures['requests']} bookings answered, "
                f"{figures['committed']} committed, in {time.perf_counter() - began:.1f} s"
            )
            yield workload.name, figures

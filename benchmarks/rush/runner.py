"""The two processes of a run: the parent prepares the environment, the child does the work.

The parent re-runs `manage.py rush_benchmark --child` in the benchmark's environment
(benchmarks/child.py; here also the naive endpoint on), so the data the child writes, the
tokens it signs and the server it starts all share one configuration.
"""

import datetime
import json
import os
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper
from django.db import connection

from benchmarks.child import child_spawn
from benchmarks.rush.audit import audit_is_clean, session_audit
from benchmarks.rush.fixtures import Workload, bench_data_create, bench_data_delete
from benchmarks.rush.load import fire
from benchmarks.rush.report import report_lines
from benchmarks.rush.server import (
    free_port,
    gunicorn_start,
    gunicorn_stop,
    gunicorn_wait_healthy,
    server_errors,
)

# Options the parent passes on to the child that does the work.
FORWARDED = (
    "seats",
    "patients",
    "concurrency",
    "slots",
    "workers",
    "threads",
    "max_seconds",
    "request_timeout",
    "json_output",
)


def spawn(options: dict[str, Any], out: OutputWrapper) -> None:
    """The parent: prepare the environment and run the child in it, echoing its output."""
    child_spawn(
        command="rush_benchmark",
        options=options,
        forwarded=FORWARDED,
        flags=("keep_data", "baseline_first"),
        env_extra={"BENCHMARK_BASELINE_ENDPOINT": "true"},
        out=out,
    )


def run(options: dict[str, Any], out: OutputWrapper) -> None:
    """The child: data, both rushes, audit, report; everything in the prepared environment."""
    tag, workdir = options["tag"], Path(options["workdir"])
    seats, patients = options["seats"], options["patients"]
    slot_count = min(options["slots"], seats)
    engine = connection.vendor
    out.write(
        f"Rush benchmark: {seats} seats over {slot_count} slots, {patients} patients "
        f"per workload, concurrency {options['concurrency']}, gunicorn "
        f"{options['workers']} workers x {options['threads']} threads, {engine}, "
        f"{os.cpu_count()} CPUs"
    )
    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    out.write(f"  migrated the database in {time.perf_counter() - began:.1f} s")

    began = time.perf_counter()
    lifetime = datetime.timedelta(seconds=2 * options["max_seconds"] + 600)
    try:
        workloads = bench_data_create(
            tag=tag,
            seats=seats,
            patients=patients,
            slot_count=slot_count,
            token_lifetime=lifetime,
        )
        out.write(
            f"  created 2 sessions and {2 * patients} patients with tokens in "
            f"{time.perf_counter() - began:.1f} s"
        )
        if options["baseline_first"]:
            workloads.reverse()
        results = rush(workloads, options, workdir, out)
        audits = {w.name: session_audit(session_id=w.session_id) for w in workloads}
    finally:
        # The temporary SQLite file goes with its directory; a MySQL database is shared.
        if engine != "sqlite" and not options["keep_data"]:
            bench_data_delete(tag=tag)

    report = {
        "settings": {
            "seats": seats,
            "slots": slot_count,
            "patients": patients,
            "concurrency": options["concurrency"],
            "workers": options["workers"],
            "threads": options["threads"],
            "database": engine,
            "cpus": os.cpu_count(),
        },
        **{name: {**results[name], "audit": audits[name]} for name in results},
    }
    for line in report_lines(report):
        out.write(line)
    if options["json_output"]:
        Path(options["json_output"]).write_text(
            json.dumps(report, indent=2, ensure_ascii=False)
        )
    bad = [
        name for name in ("optimized", "baseline") if not audit_is_clean(audits[name])
    ]
    if bad:
        raise CommandError(f"overbooked or duplicate bookings in: {', '.join(bad)}")


def rush(
    workloads: list[Workload],
    options: dict[str, Any],
    workdir: Path,
    out: OutputWrapper,
) -> dict[str, dict[str, Any]]:
    """Start gunicorn, fire each workload at it, stop it; the figures per workload."""
    port = free_port()
    log_path = workdir / "gunicorn.log"
    server = gunicorn_start(
        port=port,
        workers=options["workers"],
        threads=options["threads"],
        log_path=log_path,
    )
    results = {}
    try:
        gunicorn_wait_healthy(server, port=port, seconds=60)
        out.write(f"  gunicorn is up on 127.0.0.1:{port}")
        for workload in workloads:
            results[workload.name] = fire(
                port=port,
                path=workload.path,
                bookings=workload.bookings,
                concurrency=options["concurrency"],
                max_seconds=options["max_seconds"],
                request_timeout=options["request_timeout"],
            )
            figures = results[workload.name]
            out.write(
                f"  {workload.name}: {figures['requests']} requests in "
                f"{figures['seconds']:.1f} s"
            )
    finally:
        gunicorn_stop(server)
        log_text = log_path.read_text(errors="replace")
        if server.returncode != 0:
            out.write(f"  gunicorn exited with status {server.returncode}:")
            for line in log_text.splitlines()[-20:]:
                out.write(f"    {line}")
    errors = server_errors(log_text)
    for workload in workloads:
        if workload.name in results:
            results[workload.name]["server_errors"] = errors.get(workload.path, {})
    return results

"""The two processes of a run: the parent prepares the environment, the child does the work.

The parent re-runs `manage.py rush_benchmark --child` in the benchmark's environment
(benchmarks/child.py; here also the benchmark's own routes on), so the data the child
writes, the tokens it signs and the server it starts all share one configuration. The
child runs the phases --runs times (new data and a new server each time), prints each
run's report, then the median of each figure, and fails if any audit is not clean.
"""

import datetime
import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper
from django.db import connection

from appointments.stock.client import stock_enabled
from benchmarks.child import child_spawn
from benchmarks.rush.audit import audit_is_clean
from benchmarks.rush.fixtures import (
    REAL_PATH,
    BenchData,
    bench_data_create,
    bench_data_delete,
)
from benchmarks.rush.phases import booking_phases, throughput_phases
from benchmarks.rush.report import ratios, report_lines
from benchmarks.rush.server import (
    free_port,
    gunicorn_start,
    gunicorn_stop,
    gunicorn_wait_healthy,
    server_errors,
)
from benchmarks.rush.stats import median_of_runs
from benchmarks.rush.stock import Writer, chaos_wanted, stock_prepare
from benchmarks.rush.wrk import wrk_command

# Options the parent passes on to the child that does the work.
FORWARDED = (
    "seats",
    "patients",
    "concurrency",
    "slots",
    "large_seats",
    "large_patients",
    "large_slots",
    "workers",
    "threads",
    "duration",
    "warmup",
    "wrk_threads",
    "wrk_connections",
    "runs",
    "max_seconds",
    "request_timeout",
    "ticket_seconds",
    "chaos",
    "json_output",
)


def spawn(options: dict[str, Any], out: OutputWrapper) -> None:
    """The parent: prepare the environment and run the child in it, echoing its output."""
    wrk_command()  # fail at once, with the command that installs it
    child_spawn(
        command="rush_benchmark",
        options=options,
        forwarded=FORWARDED,
        flags=("keep_data", "baseline_first"),
        env_extra={"BENCHMARK_BASELINE_ENDPOINT": "true"},
        out=out,
    )


def _settings(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "seats": options["seats"],
        "slots": min(options["slots"], options["seats"]),
        "patients": options["patients"],
        "large_seats": options["large_seats"],
        "large_slots": min(options["large_slots"], options["large_seats"]),
        "large_patients": options["large_patients"],
        "concurrency": options["concurrency"],
        "wrk_threads": options["wrk_threads"],
        "wrk_connections": options["wrk_connections"],
        "duration": options["duration"],
        "warmup": options["warmup"],
        "workers": options["workers"],
        "threads": options["threads"],
        "database": connection.vendor,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "middleware": [name.rsplit(".", 1)[-1] for name in settings.MIDDLEWARE],
        "cpus": os.cpu_count(),
        "runs": options["runs"],
        "chaos": sorted(chaos_wanted(options)),
        "seat_stock": stock_enabled(),
    }


def run(options: dict[str, Any], out: OutputWrapper) -> None:
    """The child: migrate, then each run (data, server, phases, audit), then the medians."""
    wrk_command()
    options["wrk_connections"] = options["wrk_connections"] or options["concurrency"]
    bench = _settings(options)
    out.write(
        f"Rush benchmark on {bench['database']} (cache {bench['cache']}), "
        f"{bench['cpus']} CPUs, gunicorn {bench['workers']} workers x "
        f"{bench['threads']} threads (gthread), {bench['runs']} run(s)\n"
        f"  hot session: {bench['seats']} seats over {bench['slots']} slots, "
        f"{bench['patients']} patients per endpoint; large session: "
        f"{bench['large_seats']} seats over {bench['large_slots']} slots, "
        f"{bench['large_patients']} patients per endpoint; Python client "
        f"{bench['concurrency']} threads\n"
        f"  wrk phases: {bench['duration']} s each after {bench['warmup']} s of warm-up, "
        f"{bench['wrk_threads']} threads, {bench['wrk_connections']} connections\n"
        f"  the ceiling and every phase run behind the project's MIDDLEWARE as served: "
        f"{', '.join(bench['middleware'])}"
    )
    began = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    out.write(f"  migrated the database in {time.perf_counter() - began:.1f} s")

    reports = []
    for number in range(1, options["runs"] + 1):
        report = one_run(options, number=number, out=out)
        reports.append(report)
        title = f"run {number} of {options['runs']}"
        out.write(f"\n== {title} " + "=" * (70 - len(title)))
        for line in report_lines(report):
            out.write(line)
    median = median_of_runs(reports) if len(reports) > 1 else None
    if median is not None:
        title = f"median of {len(reports)} runs"
        out.write(f"\n== {title} " + "=" * (70 - len(title)))
        for line in report_lines(median, details=False):
            out.write(line)
    if options["json_output"]:
        Path(options["json_output"]).write_text(
            json.dumps(
                {"settings": bench, "runs": reports, "median": median},
                indent=2,
                ensure_ascii=False,
            )
        )
    failed = [
        f"run {number}: {name}"
        for number, report in enumerate(reports, start=1)
        for name, phase in report["phases"].items()
        if not audit_is_clean(phase.get("audit", {}))
    ]
    if failed:
        raise CommandError(
            "overbooked, duplicate, lost, phantom or still queued bookings in: "
            + ", ".join(failed)
        )


def one_run(options: dict[str, Any], *, number: int, out: OutputWrapper) -> dict:
    """One run: its own data and server, every phase, the figures and audits."""
    tag = f"{options['tag']}r{number}"
    workdir = Path(options["workdir"]) / f"run{number}"
    workdir.mkdir(parents=True, exist_ok=True)
    per_run = 2 * (options["patients"] + options["large_patients"]) + options["slots"]
    began = time.perf_counter()
    lifetime = datetime.timedelta(
        hours=1, seconds=6 * options["max_seconds"] + 6 * options["duration"]
    )
    try:
        data = bench_data_create(
            tag=tag,
            seats=options["seats"],
            patients=options["patients"],
            slot_count=min(options["slots"], options["seats"]),
            large_seats=options["large_seats"],
            large_patients=options["large_patients"],
            large_slot_count=min(options["large_slots"], options["large_seats"]),
            token_lifetime=lifetime,
            first_serial=(number - 1) * per_run,
        )
        out.write(
            f"  run {number}: created the sessions and {data.patients} patients with "
            f"tokens in {time.perf_counter() - began:.1f} s"
        )
        phases = serve_phases(data, options, workdir, out)
    finally:
        # The temporary SQLite file goes with its directory; a MySQL database is shared.
        if connection.vendor != "sqlite" and not options["keep_data"]:
            bench_data_delete(tag=tag)
    return {"phases": phases, "ratios": ratios(phases)}


def serve_phases(
    data: BenchData, options: dict[str, Any], workdir: Path, out: OutputWrapper
) -> dict[str, dict[str, Any]]:
    """Start gunicorn, run every phase against it, stop it; the figures per phase.

    Each phase's 500s are read from the part of the server log written during it.
    """
    port = free_port()
    log_path = workdir / "gunicorn.log"
    server = gunicorn_start(
        port=port,
        workers=options["workers"],
        threads=options["threads"],
        log_path=log_path,
    )
    phases: dict[str, dict[str, Any]] = {}
    writer = Writer(workdir)
    try:
        gunicorn_wait_healthy(server, port=port, seconds=60)
        out.write(f"  gunicorn is up on 127.0.0.1:{port}")
        real = [w.session_id for w in data.hot + data.large if w.path == REAL_PATH]
        if stock_prepare(real + [data.sold_out_session_id]):
            writer.start()
            out.write(
                "  seat stock: Redis pre-deduction on, the real endpoint's sessions "
                f"loaded; booking writer started (batch {settings.BOOKING_WRITER_BATCH}"
                f", requests wait {settings.BOOKING_TICKET_WAIT_MS} ms for it)"
            )
        else:
            out.write("  seat stock: off (no Redis): every booking is written at once")
        mark = log_path.stat().st_size
        began = time.perf_counter()
        for name, figures in itertools.chain(
            throughput_phases(data=data, port=port, options=options, workdir=workdir),
            booking_phases(
                data=data,
                port=port,
                options=options,
                out_write=out.write,
                writer=writer if writer.process else None,
            ),
        ):
            if name == "refusals":
                out.write(
                    f"  ceiling, catalog and refusals measured in "
                    f"{time.perf_counter() - began:.1f} s"
                )
            with log_path.open("rb") as log:
                log.seek(mark)
                written = log.read()
            mark += len(written)
            errors = server_errors(written.decode(errors="replace"))
            figures["server_errors"] = errors.get(figures["path"], {})
            phases[name] = figures
    finally:
        writer.stop()
        gunicorn_stop(server)
        if server.returncode != 0:
            out.write(f"  gunicorn exited with status {server.returncode}:")
            log_text = log_path.read_text(errors="replace")
            for line in log_text.splitlines()[-20:]:
                out.write(f"    {line}")
    return phases

"""The two processes of a run (as the rush benchmark's): the parent prepares the
environment, the child creates the data, serves it with daphne and talks to it."""

import asyncio
import datetime
import json
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper
from django.db import connection

from benchmarks.child import child_spawn
from benchmarks.consult_ws.fixtures import bench_consults_create, bench_consults_delete
from benchmarks.consult_ws.load import converse
from benchmarks.consult_ws.server import daphne_start, daphne_stop, free_port

FORWARDED = ("consults", "messages", "timeout", "json_output")


def spawn(options: dict[str, Any], out: OutputWrapper) -> None:
    """The parent: prepare the environment and run the child in it, echoing its output."""
    child_spawn(
        command="consult_ws_benchmark",
        options=options,
        forwarded=FORWARDED,
        flags=("keep_data",),
        env_extra={"DATABASE_CONN_MAX_AGE": "0"},
        out=out,
    )


def run(options: dict[str, Any], out: OutputWrapper) -> None:
    tag, workdir = options["tag"], Path(options["workdir"])
    consults, messages = options["consults"], options["messages"]
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    engine = connection.vendor
    out.write(
        f"Consult WebSocket benchmark: {consults} open consults (2 sockets each), "
        f"{messages} messages per consult, daphne (one process), {engine}, "
        f"configured layer {layer}, {os.cpu_count()} CPUs"
    )
    call_command("migrate", interactive=False, verbosity=0)
    lifetime = datetime.timedelta(hours=2)
    workloads = {
        "configured": {"CHANNEL_LAYER_URL": settings.CHANNEL_LAYER_URL or "memory://"},
        "baseline": {"CHANNEL_LAYER_URL": "memory://"},
    }
    results = {}
    try:
        for name, overrides in workloads.items():
            began = time.perf_counter()
            pairs = bench_consults_create(
                tag=f"{tag}-{name}", consults=consults, token_lifetime=lifetime
            )
            out.write(
                f"  {name}: created {consults} consults in "
                f"{time.perf_counter() - began:.1f} s"
            )
            port = free_port()
            server = daphne_start(
                port=port,
                env={**os.environ, **overrides},
                log_path=workdir / f"daphne-{name}.log",
            )
            try:
                results[name] = asyncio.run(
                    converse(
                        port=port,
                        pairs=pairs,
                        messages=messages,
                        timeout=options["timeout"],
                    )
                )
            finally:
                daphne_stop(server)
            results[name]["layer"] = (
                "InMemoryChannelLayer"
                if overrides["CHANNEL_LAYER_URL"] == "memory://"
                else layer
            )
            out.write(f"  {name}: {_line(results[name])}")
    finally:
        if engine != "sqlite" and not options["keep_data"]:
            for name in workloads:
                bench_consults_delete(tag=f"{tag}-{name}")
    configured, baseline = results["configured"], results["baseline"]
    ratio = (
        configured["per_second"] / baseline["per_second"]
        if baseline["per_second"]
        else 0.0
    )
    out.write(
        f"  configured / baseline messages per second: {ratio:.2f}x "
        f"(p50 {configured['p50_ms']:.1f} vs {baseline['p50_ms']:.1f} ms, "
        f"p99 {configured['p99_ms']:.1f} vs {baseline['p99_ms']:.1f} ms)"
    )
    if options["json_output"]:
        Path(options["json_output"]).write_text(
            json.dumps({"results": results, "ratio": ratio}, indent=2)
        )
    if configured["lost"] or baseline["lost"]:
        raise CommandError("messages were not delivered within the timeout")


def _line(figures: dict) -> str:
    return (
        f"[{figures['layer']}] {figures['sockets']} sockets open in "
        f"{figures['connect_seconds']:.1f} s; {figures['delivered']}/{figures['sent']} "
        f"delivered in {figures['seconds']:.1f} s = {figures['per_second']:.0f} msg/s, "
        f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
        f"lost {figures['lost']}, error frames {figures['errors']}"
    )

"""manage.py stock_benchmark: the stock's TAKE script under redis-benchmark, against a real
Redis (REDIS_URL) when redis-benchmark is installed."""

import os
import re
import shutil
from io import StringIO

import pytest
import redis
from django.core.management import call_command
from django.core.management.base import CommandError

from benchmarks.stock_redis import runner

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis_benchmark = pytest.mark.skipif(
    not REDIS_URL or shutil.which("redis-benchmark") is None,
    reason="needs a real Redis (REDIS_URL) and redis-benchmark",
)


@needs_redis_benchmark
def test_a_small_run_prints_each_phase_and_the_seats_it_took(settings):
    settings.BOOKING_STOCK_REDIS_URL = REDIS_URL
    out = StringIO()

    call_command("stock_benchmark", "--requests", "2000", stdout=out)

    text = out.getvalue()
    for phase in ("get", "sold_out", "peek", "take"):
        assert re.search(rf"^{phase}\s+[0-9,]+\s+[0-9.]+$", text, re.M), text
    assert re.search(r"^get\s+[0-9,]+\s+1\.00$", text, re.M)
    taken = int(
        re.search(r"take phase: ([0-9,]+) seats", text).group(1).replace(",", "")
    )
    assert 0 < taken <= 2000
    # the run's keys are gone
    assert not list(redis.Redis.from_url(REDIS_URL).scan_iter(match="bk:bench*"))


@needs_redis_benchmark
def test_a_layout_the_script_does_not_read_as_claimed_stops_the_run(monkeypatch):
    # given: the sold-out slot laid out with free seats (a wrong layout)
    real_layout = runner._layout

    def wrong_layout(client, prefix, now):
        keys = real_layout(client, prefix, now)
        client.hset(keys["full"], "free", 5)
        return keys

    monkeypatch.setattr(runner, "_layout", wrong_layout)

    with pytest.raises(runner.BenchmarkError, match="full slot .take. answered"):
        runner.run(url=REDIS_URL, requests=100)


def test_without_redis_the_command_says_what_is_missing(settings):
    settings.BOOKING_STOCK_REDIS_URL = ""

    with pytest.raises(CommandError, match="set REDIS_URL"):
        call_command("stock_benchmark", "--requests", "10")


def test_without_redis_benchmark_the_run_names_the_package(monkeypatch):
    monkeypatch.setattr(runner.shutil, "which", lambda name: None)

    with pytest.raises(runner.BenchmarkError, match="redis-tools"):
        runner.run(url="redis://127.0.0.1:6379/0", requests=10)

"""scripts/pytest_workers.py: the options `make test` runs the suite with."""

import importlib.util
from pathlib import Path

import pytest

from tests import xdist_worker

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "pytest_workers.py"
spec = importlib.util.spec_from_file_location("pytest_workers", SCRIPT)
pytest_workers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pytest_workers)


def test_one_worker_runs_the_suite_in_this_process():
    assert pytest_workers.options(1) == []


def test_several_workers_load_the_plugin_and_keep_the_groups_together():
    assert pytest_workers.options(3) == [
        "-p",
        "tests.xdist_worker",
        "-n",
        "3",
        "--dist",
        "loadgroup",
    ]


def test_each_worker_gets_a_redis_database_of_its_own_above_the_clock_passes():
    url = "redis://:secret@127.0.0.1:6379/1"
    assert xdist_worker.redis_url_of_worker(url, 0) == (
        "redis://:secret@127.0.0.1:6379/9"
    )
    assert xdist_worker.redis_url_of_worker(url, 1) == (
        "redis://:secret@127.0.0.1:6379/10"
    )


def test_the_database_numbers_wrap_at_sixteen_and_default_to_zero():
    assert xdist_worker.redis_url_of_worker("redis://h:6379/15", 1) == (
        "redis://h:6379/8"
    )
    assert xdist_worker.redis_url_of_worker("redis://h:6379", 0) == "redis://h:6379/8"


def test_only_an_xdist_worker_has_a_number(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    assert xdist_worker._worker_number() == 3
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "master")
    assert xdist_worker._worker_number() is None
    monkeypatch.delenv("PYTEST_XDIST_WORKER")
    assert xdist_worker._worker_number() is None


@pytest.mark.parametrize(("wanted", "expected"), [("1", 1), ("3", 3), (" 2 ", 2)])
def test_test_workers_is_taken_from_the_environment(monkeypatch, wanted, expected):
    monkeypatch.setenv("TEST_WORKERS", wanted)

    assert pytest_workers.workers() == expected


@pytest.mark.parametrize("wanted", ["0", "-1", "two"])
def test_a_bad_test_workers_stops_with_a_message(monkeypatch, wanted):
    monkeypatch.setenv("TEST_WORKERS", wanted)

    with pytest.raises(SystemExit, match="TEST_WORKERS must be a whole number"):
        pytest_workers.workers()


def test_by_default_the_cores_at_most_four(monkeypatch):
    monkeypatch.delenv("TEST_WORKERS", raising=False)
    monkeypatch.setattr(pytest_workers.os, "cpu_count", lambda: 64)
    assert pytest_workers.workers() == 4
    monkeypatch.setattr(pytest_workers.os, "cpu_count", lambda: None)
    assert pytest_workers.workers() == 1

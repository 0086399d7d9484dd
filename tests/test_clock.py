"""The `--clock` option: tests marked `clock` run at the instant it names.

The CI runs the marked tests under fixed clocks (just after and just before midnight, on
28 February and 31 December). If the option stopped moving the time, that step would pass
while proving nothing, so these tests check that it does move it: in a pytest run of their
own (a subprocess, as the CI runs it), and, during the CI step itself, in the marked test
below.
"""

import datetime
import json
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
SHANGHAI = ZoneInfo("Asia/Shanghai")
# How long after the chosen instant a test may still be running (the clock ticks).
LEEWAY = datetime.timedelta(minutes=5)


def _seen_now() -> dict[str, datetime.datetime]:
    """timezone.now() in this thread and in a thread started now."""
    in_thread: list[datetime.datetime] = []
    thread = threading.Thread(target=lambda: in_thread.append(timezone.now()))
    thread.start()
    thread.join()
    return {"now": timezone.now(), "thread": in_thread[0]}


@pytest.mark.clock
def test_a_marked_test_runs_at_the_clock_option_in_every_thread(request):
    clock = request.config.getoption("clock")
    if clock is None:
        pytest.skip("checks a --clock run; test_the_clock_option_... checks it always")

    # when
    seen = _seen_now()

    # then
    for moment in seen.values():
        assert clock <= moment < clock + LEEWAY, seen
    assert timezone.localdate() == clock.astimezone(SHANGHAI).date()


PROBE = textwrap.dedent(
    """
    import json
    import threading

    import pytest
    from django.utils import timezone


    @pytest.fixture
    def built():
        return timezone.now()


    def report(name, built):
        in_thread = []
        thread = threading.Thread(target=lambda: in_thread.append(timezone.now()))
        thread.start()
        thread.join()
        seen = {"fixture": built, "now": timezone.now(), "thread": in_thread[0]}
        print("PROBE", name, json.dumps({k: v.isoformat() for k, v in seen.items()}))


    @pytest.mark.clock
    def test_marked(built):
        report("marked", built)


    def test_unmarked(built):
        report("unmarked", built)
    """
)


def _run_probe(tmp_path: Path, *options: str) -> subprocess.CompletedProcess:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(ROOT),
            "-p",
            "tests.conftest",
            "-p",
            "no:randomly",
            "-s",
            "-q",
            *options,
            str(probe),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _probes(result: subprocess.CompletedProcess) -> dict[str, list[datetime.datetime]]:
    assert result.returncode == 0, result.stdout + result.stderr
    probes = {
        name: [datetime.datetime.fromisoformat(v) for v in json.loads(seen).values()]
        for name, seen in re.findall(r"PROBE (\w+) (\{.*\})", result.stdout)
    }
    assert set(probes) == {"marked", "unmarked"}, result.stdout
    return probes


def test_the_clock_option_moves_the_marked_tests_only_with_their_fixtures_and_threads(
    tmp_path,
):
    # given: an instant the real clock is nowhere near
    clock = datetime.datetime(2001, 2, 28, 23, 50, tzinfo=SHANGHAI)
    before = timezone.now()

    # when
    probes = _probes(_run_probe(tmp_path, "--clock", clock.isoformat()))
    after = timezone.now()

    # then: the marked test, its fixture and its thread were at the clock; the other not
    for moment in probes["marked"]:
        assert clock <= moment < clock + LEEWAY, probes
    for moment in probes["unmarked"]:
        assert before <= moment <= after, probes


def test_without_the_clock_option_marked_tests_run_at_the_real_time(tmp_path):
    before = timezone.now()

    probes = _probes(_run_probe(tmp_path))
    after = timezone.now()

    for moment in probes["marked"] + probes["unmarked"]:
        assert before <= moment <= after, probes


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2027-02-28T23:50:00", "needs a UTC offset"),
        ("28/02/2027 23:50", "not an ISO 8601 datetime"),
    ],
)
def test_a_clock_without_an_offset_or_not_iso_is_refused(tmp_path, value, message):
    result = _run_probe(tmp_path, f"--clock={value}")

    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr
    assert "PROBE" not in result.stdout

"""The M/M/c model against an exact reference (mpmath), the design's M/M/1 formulas,
Little's law, the refusals, and the staffing advice."""

import json
import math

import mpmath
import pytest
from django.core.management import CommandError, call_command

from analytics.errors import ErrorCode
from analytics.queueing import queue_metrics, servers_needed
from common.errors import DomainError

RHOS = (0.5, 0.9, 0.99)
SERVICE_RATE = 4.0  # patients per hour per doctor (a 15-minute visit)


def exact_reference(lam: float, mu: float, c: int) -> dict[str, mpmath.mpf]:
    """Erlang C from its textbook definition, in 60-digit arithmetic (factorials and all)."""
    with mpmath.workdps(60):
        lam_, mu_ = mpmath.mpf(lam), mpmath.mpf(mu)
        a = lam_ / mu_
        rho = a / c
        tail = a**c / mpmath.factorial(c) / (1 - rho)
        head = mpmath.fsum(a**k / mpmath.factorial(k) for k in range(c))
        p_wait = tail / (head + tail)
        lq = p_wait * rho / (1 - rho)
        wq = lq / lam_
        w = wq + 1 / mu_
        return {"rho": rho, "p_wait": p_wait, "lq": lq, "wq": wq, "l": lam_ * w, "w": w}


def relative_error(value: float, exact: mpmath.mpf) -> float:
    return float(abs((mpmath.mpf(value) - exact) / exact))


SERVER_COUNTS = range(1, 501)


@pytest.mark.parametrize("rho", RHOS)
def test_erlang_c_agrees_with_the_exact_reference_up_to_500_doctors(rho):
    # given every clinic size from 1 to 500 doctors
    worst = 0.0
    for c in SERVER_COUNTS:
        lam = rho * c * SERVICE_RATE
        # when the model computes the queue
        metrics = queue_metrics(arrival_rate=lam, service_rate=SERVICE_RATE, servers=c)
        # then every figure is within 1e-6 relative of the exact one
        exact = exact_reference(lam, SERVICE_RATE, c)
        for name, value in exact.items():
            error = relative_error(getattr(metrics, name), value)
            worst = max(worst, error)
            assert error < 1e-6, (c, rho, name)
    assert worst < 1e-9  # in fact it is exact to a few ulps


@pytest.mark.parametrize("rho", RHOS)
def test_with_one_doctor_the_designs_formulas_hold(rho):
    # given one doctor (M/M/1)
    lam = rho * SERVICE_RATE
    # when the model computes the queue
    metrics = queue_metrics(arrival_rate=lam, service_rate=SERVICE_RATE, servers=1)
    # then P_wait = ρ, Lq = ρ²/(1−ρ) (the design's "L"), Wq = Lq/λ, and L = Lq + ρ
    assert metrics.p_wait == pytest.approx(rho, rel=1e-12)
    assert metrics.lq == pytest.approx(rho**2 / (1 - rho), rel=1e-12)
    assert metrics.wq == pytest.approx(metrics.lq / lam, rel=1e-12)
    assert metrics.l == pytest.approx(metrics.lq + rho, rel=1e-12)


@pytest.mark.parametrize(
    ("lam", "mu", "c"), [(3.0, 4.0, 1), (30.0, 3.5, 10), (1.0, 0.01, 200)]
)
def test_littles_law_holds(lam, mu, c):
    # when the model computes a queue
    metrics = queue_metrics(arrival_rate=lam, service_rate=mu, servers=c)
    # then L = λW and Lq = λWq, and W is the wait plus one visit
    assert metrics.l == pytest.approx(lam * metrics.w, rel=1e-12)
    assert metrics.lq == pytest.approx(lam * metrics.wq, rel=1e-12)
    assert metrics.w == pytest.approx(metrics.wq + 1 / mu, rel=1e-12)
    assert metrics.rho == pytest.approx(lam / (c * mu), rel=1e-15)


def test_a_thousand_doctors_need_no_factorial():
    # given a clinic far beyond any float factorial (170! overflows)
    metrics = queue_metrics(
        arrival_rate=0.95 * 2000 * 4, service_rate=4.0, servers=2000
    )
    # then the figures are finite and sensible
    assert 0 < metrics.p_wait < 1
    assert math.isfinite(metrics.wq)


@pytest.mark.parametrize(
    ("lam", "mu", "c"), [(4.0, 4.0, 1), (8.0, 4.0, 2), (9.0, 4.0, 2), (1e9, 1.0, 3)]
)
def test_utilisation_of_one_or_more_is_refused_as_unstable(lam, mu, c):
    # when the arrivals meet or exceed what the doctors can see
    with pytest.raises(DomainError) as raised:
        queue_metrics(arrival_rate=lam, service_rate=mu, servers=c)
    # then the model refuses: there is no steady state
    assert raised.value.code == ErrorCode.QUEUE_UNSTABLE
    assert "grows without bound" in str(raised.value.message)


@pytest.mark.parametrize(
    ("lam", "mu", "c", "says"),
    [
        (0, 4.0, 1, "arrival rate"),
        (-1.0, 4.0, 1, "arrival rate"),
        (math.nan, 4.0, 1, "arrival rate"),
        (math.inf, 4.0, 1, "arrival rate"),
        ("3", 4.0, 1, "arrival rate"),
        (True, 4.0, 1, "arrival rate"),
        (3.0, 0.0, 1, "service rate"),
        (3.0, -4.0, 1, "service rate"),
        (3.0, math.nan, 1, "service rate"),
        (3.0, 4.0, 0, "at least 1"),
        (3.0, 4.0, -2, "at least 1"),
        (3.0, 4.0, 2.5, "whole number"),
        (3.0, 4.0, 2.0, "whole number"),
        (3.0, 4.0, True, "whole number"),
    ],
)
def test_bad_input_is_refused_with_the_reason(lam, mu, c, says):
    with pytest.raises(DomainError) as raised:
        queue_metrics(arrival_rate=lam, service_rate=mu, servers=c)
    assert raised.value.code == ErrorCode.INVALID_QUEUE_INPUT
    assert says in str(raised.value.message)


@pytest.mark.parametrize(
    ("lam", "mu", "target_minutes"),
    [
        (10.0, 4.0, 5.0),
        (10.0, 4.0, 0.5),
        (100.0, 3.0, 2.0),
        (3.0, 4.0, 60.0),
        (400, 1.0, 1),
    ],
)
def test_staffing_for_a_mean_wait_is_the_fewest_doctors(lam, mu, target_minutes):
    # when the advice is asked for a target mean wait
    c = servers_needed(
        arrival_rate=lam, service_rate=mu, target_wait_hours=target_minutes / 60
    )
    # then c doctors meet it and c − 1 do not (unstable or too slow)
    assert (
        queue_metrics(arrival_rate=lam, service_rate=mu, servers=c).wq * 60
        <= target_minutes
    )
    if lam < (c - 1) * mu:
        fewer = queue_metrics(arrival_rate=lam, service_rate=mu, servers=c - 1)
        assert fewer.wq * 60 > target_minutes
    else:
        assert c == math.floor(lam / mu) + 1  # the fewest that keep ρ < 1


@pytest.mark.parametrize(
    ("lam", "mu", "target"), [(10.0, 4.0, 0.2), (50.0, 2.0, 0.05), (3.0, 4.0, 0.9)]
)
def test_staffing_for_a_probability_of_waiting_is_the_fewest_doctors(lam, mu, target):
    c = servers_needed(arrival_rate=lam, service_rate=mu, target_p_wait=target)
    assert queue_metrics(arrival_rate=lam, service_rate=mu, servers=c).p_wait <= target
    if lam < (c - 1) * mu:
        assert (
            queue_metrics(arrival_rate=lam, service_rate=mu, servers=c - 1).p_wait
            > target
        )


def test_staffing_with_both_targets_meets_both():
    by_wait = servers_needed(arrival_rate=40.0, service_rate=4.0, target_wait_hours=0.5)
    by_p = servers_needed(arrival_rate=40.0, service_rate=4.0, target_p_wait=0.1)
    both = servers_needed(
        arrival_rate=40.0, service_rate=4.0, target_wait_hours=0.5, target_p_wait=0.1
    )
    assert both == max(by_wait, by_p)
    assert by_p > by_wait  # so the test tells the two apart


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"target_wait_hours": 0},
        {"target_wait_hours": -1},
        {"target_wait_hours": math.nan},
        {"target_p_wait": 0},
        {"target_p_wait": 1.5},
    ],
)
def test_staffing_refuses_missing_or_bad_targets(kwargs):
    with pytest.raises(DomainError) as raised:
        servers_needed(arrival_rate=10.0, service_rate=4.0, **kwargs)
    assert raised.value.code == ErrorCode.INVALID_QUEUE_INPUT


# -- the command ------------------------------------------------------------------------


def run_json(*args: str) -> dict:
    from io import StringIO

    out = StringIO()
    call_command("queue_model", *args, "--json", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1  # one JSON object, nothing else
    return json.loads(lines[0])


def test_command_prints_one_json_object_with_the_models_figures():
    body = run_json("--arrival-rate", "10", "--service-rate", "4", "--servers", "3")
    expected = queue_metrics(arrival_rate=10.0, service_rate=4.0, servers=3)
    assert body == {
        "rho": expected.rho,
        "P_wait": expected.p_wait,
        "Lq": expected.lq,
        "Wq": expected.wq,
        "L": expected.l,
        "W": expected.w,
    }
    assert body["rho"] == pytest.approx(10 / 12)


def test_command_adds_servers_needed_for_a_target():
    body = run_json(
        "--arrival-rate",
        "10",
        "--service-rate",
        "4",
        "--servers",
        "3",
        "--target-wait-minutes",
        "5",
    )
    assert body["servers_needed"] == servers_needed(
        arrival_rate=10.0, service_rate=4.0, target_wait_hours=5 / 60
    )
    assert set(body) == {"rho", "P_wait", "Lq", "Wq", "L", "W", "servers_needed"}
    body = run_json(
        "--arrival-rate",
        "10",
        "--service-rate",
        "4",
        "--servers",
        "3",
        "--target-p-wait",
        "0.1",
    )
    assert body["servers_needed"] == servers_needed(
        arrival_rate=10.0, service_rate=4.0, target_p_wait=0.1
    )


def test_command_prints_a_table_without_json():
    from io import StringIO

    out = StringIO()
    call_command(
        "queue_model",
        "--arrival-rate",
        "3",
        "--service-rate",
        "4",
        "--servers",
        "1",
        stdout=out,
    )
    text = out.getvalue()
    assert "0.7500" in text  # ρ, and P_wait for one doctor
    assert "2.2500" in text  # Lq = ρ²/(1−ρ)
    assert "45.00" in text  # Wq = 0.75 h


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("--arrival-rate", "12", "--service-rate", "4", "--servers", "3"),
            "queue_unstable",
        ),
        (
            ("--arrival-rate", "-1", "--service-rate", "4", "--servers", "3"),
            "invalid_queue_input",
        ),
        (
            ("--arrival-rate", "nan", "--service-rate", "4", "--servers", "3"),
            "invalid_queue_input",
        ),
        (
            ("--arrival-rate", "3", "--service-rate", "4", "--servers", "2.5"),
            "whole number",
        ),
        (
            ("--arrival-rate", "3", "--service-rate", "4", "--servers", "0"),
            "at least 1",
        ),
        (
            ("--arrival-rate", "ten", "--service-rate", "4", "--servers", "1"),
            "Not a number",
        ),
        (
            (
                "--arrival-rate",
                "3",
                "--service-rate",
                "4",
                "--servers",
                "1",
                "--target-wait-minutes",
                "0",
            ),
            "invalid_queue_input",
        ),
        (
            (
                "--arrival-rate",
                "3",
                "--service-rate",
                "4",
                "--servers",
                "1",
                "--target-p-wait",
                "2",
            ),
            "invalid_queue_input",
        ),
    ],
)
def test_command_refuses_bad_input_with_the_reason(args, says):
    with pytest.raises(CommandError) as raised:
        call_command("queue_model", *args)
    assert says in str(raised.value)


def test_command_exits_non_zero_on_bad_input():
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "queue_model",
            "--arrival-rate",
            "9",
            "--service-rate",
            "4",
            "--servers",
            "2",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "queue_unstable" in result.stderr
    assert result.stdout == ""

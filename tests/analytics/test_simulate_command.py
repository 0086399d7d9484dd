"""manage.py simulate_clinic: the comparison table, its JSON, the release comparison."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analytics.simulation.policies import ClinicConfig, Policy
from analytics.simulation.runner import simulate_policy
from appointments.models import Appointment
from tests.analytics.queue_history import busy_department
from tests.hospitals.factories import DepartmentFactory

RELEASE_FIGURES = {
    "seen",
    "wasted_seats",
    "idle",
    "wrongly_released",
    "mean_wait",
    "overtime",
}


def run(*args: str) -> str:
    out = StringIO()
    call_command("simulate_clinic", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_json_compares_the_three_policies_with_the_libraries_figures():
    body = json.loads(run("--seeds", "3", "--json"))
    assert [policy["policy"] for policy in body["policies"]] == [
        "walk-in",
        "appointments-first",
        "timed-slots",
    ]
    expected = simulate_policy(
        ClinicConfig(), Policy.TIMED_SLOTS, seeds=3, base_seed=2026
    )
    assert body["policies"][2] == json.loads(json.dumps(expected.as_json()))
    assert body["config"]["bookings"] == 48
    for key in (
        "mean_wait",
        "p90_wait",
        "utilisation",
        "overtime",
        "seen",
        "idle",
        "no_shows",
    ):
        assert key in body["policies"][0]


def test_options_reach_the_simulation():
    body = json.loads(
        run(
            "--policy",
            "timed-slots",
            "--doctors",
            "2",
            "--session-minutes",
            "120",
            "--slot-minutes",
            "20",
            "--overbook",
            "0.5",
            "--no-show-rate",
            "0",
            "--seeds",
            "2",
            "--json",
        )
    )
    (timed,) = body["policies"]
    assert body["config"]["bookings"] == 18  # 6 slots × 2 doctors + 50 %
    assert timed["seen"]["mean"] == 18  # nobody misses
    assert timed["no_shows"]["mean"] == 0


def test_the_table_names_each_policy():
    text = run("--seeds", "2")
    for policy in ("walk-in", "appointments-first", "timed-slots"):
        assert policy in text
    assert "p90" in text


def test_the_release_comparison_reports_with_and_without_over_the_seeds():
    body = json.loads(
        run(
            "--compare-noshow-policy",
            "--seeds",
            "10",
            "--sessions-per-seed",
            "5",
            "--no-show-rate",
            "0.2",
            "--no-show-concentration",
            "4",
            "--json",
        )
    )
    assert body["seeds"] == 10
    assert (
        set(body["without"])
        == set(body["with"])
        == set(body["difference"])
        == RELEASE_FIGURES
    )
    assert body["assumptions"]["reminder_effect"] == 0.2
    seen = body["difference"]["seen"]
    assert seen["low"] <= seen["mean"] <= seen["high"]


def test_the_sensitivity_moves_each_assumption_alone():
    body = json.loads(
        run(
            "--compare-noshow-policy",
            "--sensitivity",
            "--seeds",
            "10",
            "--sessions-per-seed",
            "2",
            "--json",
        )
    )
    assert len(body["sensitivity"]) == 14
    assert {row["assumption"] for row in body["sensitivity"]} == {
        "high_risk_threshold",
        "reminder_effect",
        "unconfirmed_if_no_show",
        "unconfirmed_if_attending",
        "releasable_share",
        "waitlist_fill",
        "waitlist_no_show",
    }


def test_the_release_table_prints_the_assumptions():
    text = run("--compare-noshow-policy", "--seeds", "10", "--sessions-per-seed", "2")
    assert "reminder_effect=0.2" in text
    assert "patients seen" in text


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--doctors", "0"), "invalid_simulation_input"),
        (("--overbook", "-1"), "invalid_simulation_input"),
        (("--no-show-rate", "1.2"), "invalid_simulation_input"),
        (("--no-show-risks", "a,b"), "not a list of numbers"),
        (("--seeds", "0"), "invalid_simulation_input"),
        (("--compare-noshow-policy", "--seeds", "5"), "at least 10 seeds"),
        (
            ("--compare-noshow-policy", "--seeds", "10", "--reminder-effect", "2"),
            "reminder_effect",
        ),
    ],
)
def test_bad_input_is_refused_with_the_reason(args, says):
    with pytest.raises(CommandError) as raised:
        run(*args)
    assert says in str(raised.value)


@pytest.mark.django_db
def test_risks_can_come_from_a_departments_scored_bookings():
    # given a department whose bookings the no-show model scored at 0 ‰ and 800 ‰
    department = DepartmentFactory()
    busy_department(department, doctors=1, days=2)
    bookings = Appointment.objects.filter(doctor__department=department).order_by("pk")
    Appointment.objects.filter(pk__in=[a.pk for a in bookings[:5]]).update(
        noshow_risk=800
    )
    Appointment.objects.filter(pk__in=[a.pk for a in bookings[5:]]).update(
        noshow_risk=0
    )
    # when the simulation resamples them
    body = json.loads(
        run(
            "--policy",
            "timed-slots",
            "--risks-from-department",
            str(department.pk),
            "--seeds",
            "10",
            "--sessions-per-seed",
            "5",
            "--json",
        )
    )
    # then it takes all ten risks, and about their mean of 0.4 of the bookings miss
    assert body["config"]["no_show_risks"] == {"count": 10, "mean": pytest.approx(0.4)}
    (timed,) = body["policies"]
    assert 0.3 * 48 < timed["no_shows"]["mean"] < 0.5 * 48


@pytest.mark.django_db
def test_a_department_without_scored_bookings_is_refused():
    with pytest.raises(CommandError, match="stored no-show risk"):
        run("--risks-from-department", str(DepartmentFactory().pk))

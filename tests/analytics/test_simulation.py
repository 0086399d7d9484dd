"""The clinic simulation: the engine on hand-made sessions, the policies, agreement with
Erlang C where the assumptions coincide, and the no-show model's release variant."""

import math

import numpy as np
import pytest

from analytics.errors import ErrorCode
from analytics.queueing import queue_metrics
from analytics.simulation.engine import Arrival, run_session
from analytics.simulation.noshow import ReleaseAssumptions, booked_attendance
from analytics.simulation.policies import (
    ClinicConfig,
    Policy,
    ServiceDistribution,
    draw_session,
    service_times,
    slot_times,
)
from analytics.simulation.runner import compare_release, simulate_policy
from common.errors import DomainError

EXPONENTIAL = ServiceDistribution.EXPONENTIAL


def walk_in(at: float, service: float) -> Arrival:
    return Arrival(
        arrival=at, scheduled=None, priority=0, order_key=at, service=service
    )


def booked(at: float, slot: float, service: float, priority: int = 0) -> Arrival:
    return Arrival(
        arrival=at, scheduled=slot, priority=priority, order_key=slot, service=service
    )


# -- the engine ------------------------------------------------------------------------


def test_one_doctor_sees_patients_in_turn_and_works_overtime():
    # given one doctor, a 30-minute session and two 20-minute visits arriving at 0 and 5
    run = run_session([walk_in(0, 20), walk_in(5, 20)], doctors=1, session_minutes=30)
    # then the second waits 15 minutes, the doctor is busy all session and 10 minutes over
    assert run.waits.tolist() == [0.0, 15.0]
    assert run.seen == 2
    assert run.busy_in_session == 30.0
    assert run.idle_in_session == 0.0
    assert run.overtime == 10.0


def test_two_doctors_share_one_queue():
    run = run_session(
        [walk_in(0, 10), walk_in(0, 10), walk_in(0, 10), walk_in(25, 5)],
        doctors=2,
        session_minutes=60,
    )
    assert run.waits.tolist() == [0.0, 0.0, 10.0, 0.0]
    assert run.busy_in_session == 35.0
    assert run.idle_in_session == 120.0 - 35.0
    assert run.overtime == 0.0


def test_booked_patients_go_before_walk_ins_and_in_slot_order():
    # given a doctor busy until 10, then a walk-in who came first and two booked
    # patients who came in the opposite order of their slots
    patients = [
        walk_in(0, 10),
        Arrival(arrival=1, scheduled=None, priority=1, order_key=1, service=5),
        booked(3, slot=8, service=5),
        booked(2, slot=9, service=5),
    ]
    run = run_session(patients, doctors=1, session_minutes=60)
    # then at 10 the slot-8 patient goes first, then slot 9, then the walk-in;
    # booked waits count from the slot time, the walk-in's from arrival
    assert run.waits.tolist() == [0.0, 19.0, 2.0, 6.0]


def test_early_patients_wait_for_the_session_and_are_not_charged_for_coming_early():
    # given a patient who comes 10 minutes before the session for the first slot and one
    # who comes at 2 for the 30-minute slot while the doctor is free
    run = run_session(
        [booked(-10, slot=0, service=5), booked(2, slot=30, service=5)],
        doctors=1,
        session_minutes=60,
    )
    # then the doctor starts at 0, sees the early one at 5, and neither has waited
    assert run.waits.tolist() == [0.0, 0.0]
    assert run.busy_in_session == 10.0


# -- policies and draws ------------------------------------------------------------------


def test_overbooked_extras_are_spread_over_the_session():
    config = ClinicConfig(
        doctors=2, session_minutes=120, slot_minutes=15, overbook=0.25
    )
    slots = slot_times(config)
    assert config.bookings == 20  # 8 slots × 2 doctors, plus 25 %
    assert slots.size == 20
    counts = np.bincount((slots // 15).astype(int))
    assert counts.tolist() == [2, 3, 2, 3, 2, 3, 2, 3]


def test_lognormal_service_times_have_the_asked_mean_and_cv():
    config = ClinicConfig(service_minutes=12, service_cv=0.5)
    times = service_times(np.random.default_rng(1), 200_000, config)
    assert times.mean() == pytest.approx(12, rel=0.01)
    assert times.std() / times.mean() == pytest.approx(0.5, rel=0.02)


def test_the_same_seed_gives_the_same_figures_and_another_seed_others():
    config = ClinicConfig()
    first = simulate_policy(config, Policy.TIMED_SLOTS, seeds=3, base_seed=7)
    again = simulate_policy(config, Policy.TIMED_SLOTS, seeds=3, base_seed=7)
    other = simulate_policy(config, Policy.TIMED_SLOTS, seeds=3, base_seed=8)
    assert first.as_json() == again.as_json()
    assert first.as_json() != other.as_json()


def test_timed_slots_that_fit_the_visits_exactly_keep_doctors_busy_without_waits():
    # given punctual patients, no no-shows, and visits as long as the slots
    config = ClinicConfig(
        doctors=2,
        session_minutes=120,
        slot_minutes=15,
        service_minutes=15,
        service_cv=1e-9,
        punctuality_sd=0,
        no_show_rate=0,
    )
    result = simulate_policy(config, Policy.TIMED_SLOTS, seeds=2)
    # then every booking is seen on time, and the doctors are never idle
    assert result.seen.mean == 16
    assert result.mean_wait.mean == pytest.approx(0, abs=1e-6)
    assert result.utilisation.mean == pytest.approx(1, abs=1e-6)
    assert result.idle.mean == pytest.approx(0, abs=1e-5)
    assert result.no_shows.mean == 0


def test_no_shows_follow_the_rate_and_walk_ins_fill_the_gaps():
    config = ClinicConfig(no_show_rate=0.3, walk_ins_per_hour=3)
    timed = simulate_policy(config, Policy.TIMED_SLOTS, seeds=20, sessions_per_seed=5)
    first = simulate_policy(
        config, Policy.APPOINTMENTS_FIRST, seeds=20, sessions_per_seed=5
    )
    expected = 0.3 * config.bookings
    assert timed.no_shows.low <= expected <= timed.no_shows.high
    # the same patients book under both policies (common random numbers) ...
    assert timed.no_shows.mean == first.no_shows.mean
    # ... and appointments-first also sees about 3 walk-ins an hour for 4 hours
    extra = first.seen.mean - timed.seen.mean
    assert 10 < extra < 14
    assert first.idle.mean < timed.idle.mean


def test_risks_can_be_drawn_from_a_beta_distribution_or_resampled():
    rng = np.random.default_rng(3)
    beta = draw_session(ClinicConfig(no_show_rate=0.2, no_show_concentration=4.0), rng)
    assert 0.1 < beta.risks.mean() < 0.3
    assert beta.risks.std() > 0.1  # spread, not a flat rate
    listed = draw_session(ClinicConfig(no_show_risks=(0.05, 0.5)), rng)
    assert set(listed.risks.tolist()) == {0.05, 0.5}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"doctors": 0},
        {"doctors": 2.5},
        {"session_minutes": 0},
        {"service_minutes": -1},
        {"service_minutes": math.nan},
        {"slot_minutes": 300, "session_minutes": 240},
        {"overbook": -0.1},
        {"overbook": 2},
        {"no_show_rate": 1},
        {"no_show_risks": (0.1, 1.5)},
        {"punctuality_sd": -1},
        {"walk_ins_per_hour": math.inf},
        {"no_show_concentration": 0},
        {"service_distribution": "gamma"},
    ],
)
def test_bad_parameters_are_refused_with_a_clear_error(kwargs):
    with pytest.raises(DomainError) as raised:
        ClinicConfig(**kwargs)
    assert raised.value.code == ErrorCode.INVALID_SIMULATION_INPUT


@pytest.mark.parametrize("seeds", [0, -1, 1001, 2.5])
def test_seed_counts_are_checked(seeds):
    with pytest.raises(DomainError) as raised:
        simulate_policy(ClinicConfig(), Policy.WALK_IN, seeds=seeds)
    assert raised.value.code == ErrorCode.INVALID_SIMULATION_INPUT


# -- Erlang C where the assumptions coincide ---------------------------------------------


@pytest.mark.parametrize(("lam", "mu", "doctors"), [(18.0, 6.0, 4), (2.0, 4.0, 1)])
def test_walk_in_clinic_agrees_with_erlang_c_within_sampling_error(lam, mu, doctors):
    # given Poisson arrivals, exponential visits, FCFS, c doctors and a long horizon
    # (500 hours, so starting empty biases the mean by well under the interval)
    config = ClinicConfig(
        doctors=doctors,
        session_minutes=30_000,
        service_minutes=60 / mu,
        service_distribution=EXPONENTIAL,
        arrivals_per_hour=lam,
        slot_minutes=15,
    )
    # when 20 independent seeds are simulated
    result = simulate_policy(config, Policy.WALK_IN, seeds=20, base_seed=12)
    # then Erlang C's mean wait and utilisation lie inside the 95 % intervals
    model = queue_metrics(arrival_rate=lam, service_rate=mu, servers=doctors)
    assert result.mean_wait.low <= model.wq * 60 <= result.mean_wait.high
    assert result.utilisation.low <= model.rho <= result.utilisation.high
    # and the interval is tight enough to mean something (within ±15 % of the mean)
    assert result.mean_wait.half_width < 0.15 * model.wq * 60


# -- the no-show model in use --------------------------------------------------------------


def test_release_with_no_effect_changes_nothing():
    config = ClinicConfig(no_show_rate=0.2, no_show_concentration=4.0)
    idle = ReleaseAssumptions(reminder_effect=0, releasable_share=0)
    comparison = compare_release(config, idle, seeds=10, sessions_per_seed=3)
    for name, difference in comparison.difference.items():
        assert difference.mean == 0, name


def test_a_perfect_confirm_and_waitlist_fill_every_no_show_seat():
    # given everyone high-risk, every no-show unconfirmed, every attendee confirmed,
    # every booking releasable and a waitlist that always comes
    config = ClinicConfig(no_show_rate=0.25, no_show_concentration=3.0)
    perfect = ReleaseAssumptions(
        high_risk_threshold=0,
        reminder_effect=0,
        unconfirmed_if_no_show=1,
        unconfirmed_if_attending=0,
        releasable_share=1,
        waitlist_fill=1,
        waitlist_no_show=0,
    )
    comparison = compare_release(config, perfect, seeds=10, sessions_per_seed=3)
    # then no seat is wasted, no attendee is released, and every booking is seen
    assert comparison.with_model["wasted_seats"].mean == 0
    assert comparison.with_model["wrongly_released"].mean == 0
    assert comparison.with_model["seen"].mean == config.bookings
    assert comparison.without["wasted_seats"].mean > 0


def test_attendance_counts_add_up_seat_by_seat():
    config = ClinicConfig(no_show_rate=0.3, no_show_concentration=2.0)
    release = ReleaseAssumptions(high_risk_threshold=0.2)
    for seed in range(20):
        draws = draw_session(config, np.random.default_rng(seed))
        without = booked_attendance(draws)
        with_model = booked_attendance(draws, release)
        # each seat is used once or wasted
        assert len(without.arrivals) + without.wasted_seats == config.bookings
        assert len(with_model.arrivals) + with_model.wasted_seats == config.bookings
        # the reminder and the waitlist only add attenders, the release only of those
        # who would have come takes some away
        assert (
            len(with_model.arrivals)
            >= len(without.arrivals) - with_model.wrongly_released
        )


def test_the_measured_effect_is_reported_over_at_least_ten_seeds_with_intervals():
    config = ClinicConfig(no_show_rate=0.2, no_show_concentration=4.0)
    comparison = compare_release(
        config, ReleaseAssumptions(), seeds=10, sessions_per_seed=20
    )
    seen = comparison.difference["seen"]
    assert comparison.seeds == 10
    assert 0 < seen.low < seen.mean < seen.high  # more patients seen, clearly
    assert comparison.difference["wasted_seats"].high < 0
    assert comparison.difference["idle"].high < 0
    assert comparison.with_model["wrongly_released"].mean > 0

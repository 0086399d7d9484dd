"""The release queue's acceptance simulation (appointments.release_queue.simulation) on a
real Redis: the full run (20,000 patients, 10 seeds), the behaviours it rests on, and the
command."""

import json
import random
from dataclasses import replace

import pytest
from django.core.management import CommandError, call_command

from appointments.release_queue.simulation.calls import Calls
from appointments.release_queue.simulation.layout import (
    RELEASE,
    layout_write,
    namespace,
    users_write,
)
from appointments.release_queue.simulation.params import Params
from appointments.release_queue.simulation.patients import patients_make
from appointments.release_queue.simulation.runner import (
    TOLERANCE_PP,
    admission_rate,
    simulate,
)
from appointments.release_queue.simulation.with_queue import (
    queue_plan,
    run_with_queue,
)
from appointments.release_queue.simulation.without_queue import run_without_queue
from appointments.release_queue.store import (
    queue_draw,
    queue_members_between,
    queue_prepare,
    queue_status,
)
from appointments.stock import keys
from appointments.stock.client import stock_client
from tests.appointments.stock_helpers import REDIS_URL, needs_redis

SMALL = Params(patients=400, scripted_share=0.1, sessions=2, seats_per_session=10)


@pytest.fixture
def redis_stock(settings):
    settings.BOOKING_STOCK_REDIS_URL = REDIS_URL
    return stock_client()


@needs_redis
def test_the_acceptance_run_20000_patients_over_10_seeds(redis_stock):
    # given: the defaults: 20,000 patients, 5 % scripted, 20 sessions x 100 seats
    params = Params()

    # when
    study = simulate(params, range(1, 11))

    # then: with the queue every seed is within 2 points of the scripts' share of people
    assert len(study.seeds) == 10
    for seed in study.seeds:
        assert seed.people_share == pytest.approx(0.05)
        assert abs(seed.deviation_pp) <= TOLERANCE_PP, seed.seed
        assert seed.with_queue.seats == seed.without_queue.seats == 2_000
        assert seed.with_queue.early_wins == 0
        # without it, the scripts win far beyond their share (each of them wins a seat)
        assert seed.without_queue.scripted_share >= 5 * seed.people_share
        assert seed.without_queue.scripted_seats == params.scripted
    assert study.within_tolerance
    # the queue admitted at its planned pace: 20 sessions x 20/s after the bursts
    for admission in study.admission:
        assert admission.at_release == params.sessions * params.burst
        assert admission.per_second == pytest.approx(
            params.sessions * params.rate, rel=0.05
        )
    assert set(study.throughput) == {"status", "join", "take"}
    assert all(
        rate.calls > 0 and rate.per_second > 0 for rate in study.throughput.values()
    )
    # and the run's keys are gone
    assert not list(redis_stock.scan_iter(match="bk:sim*", count=1000))


@needs_redis
def test_without_the_queue_the_first_requests_win_and_scripts_come_first(redis_stock):
    # given: humans only, one session of 5 seats
    params = replace(
        SMALL, patients=40, scripted_share=0.0, sessions=1, seats_per_session=5
    )
    crowd = patients_make(params, random.Random(3))
    with namespace():
        users_write(params.patients)
        result = run_without_queue(params, crowd, Calls(), random.Random(4))
    # then: the five quickest to react won, the others found the slot full
    quickest = sorted(crowd, key=lambda p: p.reaction)[:5]
    assert sorted(i for _at, i in result.wins) == sorted(p.index for p in quickest)
    assert result.answers == {"won": 5, "full": 35}

    # and with scripts among them, every script wins before any human
    params = replace(
        SMALL, patients=40, scripted_share=0.1, sessions=1, seats_per_session=5
    )
    crowd = patients_make(params, random.Random(3))
    with namespace():
        users_write(params.patients)
        result = run_without_queue(params, crowd, Calls(), random.Random(4))
    winners = [crowd[i] for _at, i in sorted(result.wins)]
    assert [p.scripted for p in winners] == [True] * 4 + [False]
    assert result.answers["unreleased"] == 4 * 4  # fired 0.2 s early, every 0.05 s


@needs_redis
def test_with_the_queue_a_script_cannot_book_before_its_admission(redis_stock):
    # given: one session in the queue, three scripts and a human joined before the release
    params = replace(
        SMALL, patients=4, sessions=1, seats_per_session=10, burst=1, rate=1
    )
    calls = Calls()
    with namespace():
        users_write(params.patients)
        layout = layout_write(params, first_session=1, gate_until=RELEASE + 1800)
        queue_prepare(
            session_id=1,
            plan=queue_plan(params, RELEASE),
            slot_ids=[1],
            expire_at=layout.expire_at,
        )
        joins = calls.joins(
            [(1, i + 1, f"p{i}", 1_000_001 + i, RELEASE - 60 + i) for i in range(4)]
        )
        assert [code for code, _ in joins] == ["joined"] * 4

        def take(member: int, at: float) -> str:
            return calls.takes([(1, member, 1_000_000 + member, RELEASE + at)])[0][0]

        # when: each fires TAKE at the release, before any STATUS admitted anyone
        assert queue_draw(session_id=1, now=RELEASE, rng=random.Random(1)) == 4
        assert {take(m, 0.0) for m in range(1, 5)} == {"queue_waiting"}

        # then: the burst admits place 1 only; its holder books, the others still wait
        (facts,) = calls.statuses([1], RELEASE + 0.01)
        assert facts.admitted == 1
        (first,) = queue_members_between(session_id=1, first=1, last=1)
        others = [m for m in range(1, 5) if m != first]
        assert {take(m, 0.02) for m in others} == {"queue_waiting"}
        assert take(first, 0.02) == "won"
        # a second later place 2 is admitted, the one the store shows at position 2
        (facts,) = calls.statuses([1], RELEASE + 1.01)
        assert facts.admitted == 2
        (second,) = queue_members_between(session_id=1, first=2, last=2)
        mine = queue_status(session_id=1, member=second, now=RELEASE + 1.02)
        assert mine.position == 2
        assert mine.admitted_at == pytest.approx(RELEASE + 1.01)
        assert take(second, 1.02) == "won"
        assert int(redis_stock.hget(keys.slot_key(1), "free")) == 8


@needs_redis
def test_with_the_queue_scripts_win_no_more_than_their_places(redis_stock):
    # given: a small crowd, 10 % scripts, with the queue
    params = replace(SMALL, burst=2, rate=2)
    crowd = patients_make(params, random.Random(5))
    with namespace():
        users_write(params.patients)
        result = run_with_queue(params, crowd, Calls(), random.Random(6))
    # then: every seat sold, none before its admission, the scripts' hammering refused
    assert result.seats == params.seats
    assert result.early_wins == 0
    assert result.answers["queue_waiting"] > 0
    assert result.join_answers == {"joined": params.patients}
    # and the admissions kept to the plan: 2 at the release, then 2/s, per session
    admission = admission_rate(params, result)
    assert admission.at_release == 2 * params.sessions
    assert admission.per_second == pytest.approx(2 * params.sessions, rel=0.1)


@needs_redis
def test_the_command_prints_the_shares_and_the_measurements(redis_stock, capsys):
    call_command(
        "release_queue_simulate",
        "--patients=400",
        "--scripted-share=0.1",
        "--sessions=2",
        "--seats-per-session=10",
        "--seeds=2",
        "--seed-start=7",
    )
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "400 patients, 40 scripted (10.0%)" in lines[0]
    rows = [line.split() for line in lines if line.split()[:1] in (["7"], ["8"])]
    assert len(rows) == 2
    assert all(row[1] == "10.00%" for row in rows)
    assert any(line.startswith("worst deviation with the queue:") for line in lines)
    assert any(line.startswith("admission in the rush") for line in lines)
    assert sum(line.startswith("throughput ") for line in lines) == 3


@needs_redis
def test_the_command_json_parses(redis_stock, capsys):
    call_command(
        "release_queue_simulate",
        "--patients=400",
        "--sessions=2",
        "--seats-per-session=10",
        "--seeds=1",
        "--json",
    )
    body = json.loads(capsys.readouterr().out)
    (seed,) = body["seeds"]
    assert seed["seed"] == 1
    assert seed["scripted_share_of_people"] == pytest.approx(0.05)
    assert seed["seats_with_queue"] == seed["seats_without_queue"] == 20
    assert body["summary"]["worst_deviation_pp"] == pytest.approx(
        abs(seed["deviation_pp"])
    )
    assert body["admission"]["planned_per_second"] == 40
    assert body["throughput"]["status"]["ratio_to_get"] > 0


def test_the_command_needs_a_redis(settings):
    settings.BOOKING_STOCK_REDIS_URL = ""
    with pytest.raises(CommandError, match="No Redis"):
        call_command("release_queue_simulate", "--seeds=1")


def test_the_command_says_when_the_redis_does_not_answer(settings):
    settings.BOOKING_STOCK_REDIS_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(CommandError, match="does not answer"):
        call_command("release_queue_simulate", "--seeds=1")


@pytest.mark.parametrize(
    ("option", "message"),
    [("--seeds=0", "--seeds"), ("--scripted-share=1.5", "scripted share")],
)
def test_the_command_refuses_bad_options(settings, option, message):
    settings.BOOKING_STOCK_REDIS_URL = "redis://127.0.0.1:1/0"
    with pytest.raises(CommandError, match=message):
        call_command("release_queue_simulate", option)

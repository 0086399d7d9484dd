"""Jobs that must not fail silently: beat's heartbeat and the watched jobs' last success.

Beat writes its heartbeat (common/beat_lock.py) while it holds the beat lock; a worker
records the time each watched periodic job (a PeriodicJob with a period_seconds) last
succeeded, on Celery's task_success (connected in CommonConfig.ready). Both are JobRun rows
in the database: a Redis flush must not make every job look never run.

`jobs_status` is /health/'s "jobs" part: "not_configured" when tasks run inline (there
is no beat), "not_started" while no beat has ever written a heartbeat, "overdue" when the
heartbeat or a watched job's last success is older than JOBS_OVERDUE_FACTOR times its
period, else "ok". A job is measured from its last success or from when the running beat
started, whichever is later: a beat just (re)started has a few periods to run each job.
"""

import datetime
import logging
from dataclasses import dataclass

from celery import current_app as celery_app
from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from common.models import JobRun
from common.periodic import PeriodicJob, periodic_jobs

logger = logging.getLogger(__name__)

OK = "ok"
NOT_CONFIGURED = "not_configured"
NOT_STARTED = "not_started"
OVERDUE = "overdue"


def watched_jobs() -> dict[str, PeriodicJob]:
    """The watched jobs by task name."""
    return {job.task: job for job in periodic_jobs() if job.period_seconds}


def job_run_record(
    *, name: str, at: datetime.datetime | None = None, started: bool = False
) -> None:
    """Record a success of `name` (a task name, or JobRun.BEAT for a heartbeat) at `at`;
    `started`: beat's first heartbeat since it took the lock."""
    values: dict = {"last_success_at": at or timezone.now()}
    if started:
        values["started_at"] = values["last_success_at"]
    if JobRun.objects.filter(name=name).update(**values):
        return
    try:
        with transaction.atomic():
            JobRun.objects.create(name=name, **values)
    except IntegrityError:  # a concurrent first record: it exists now
        JobRun.objects.filter(name=name).update(**values)


def task_success_record(sender=None, **kwargs) -> None:
    """Celery's task_success: the time of a watched job's success."""
    name = getattr(sender, "name", None)
    if name not in watched_jobs():
        return
    try:
        job_run_record(name=name)
    except DatabaseError as exc:  # the job succeeded; only its record is lost
        logger.warning("could not record the success of %s: %s", name, exc)


@dataclass(frozen=True)
class JobState:
    name: str  # JobRun.BEAT or the task name
    period_seconds: int
    last_success_at: datetime.datetime | None
    overdue: bool


def jobs_state(*, now: datetime.datetime | None = None) -> list[JobState]:
    """Beat's heartbeat first, then each watched job, in one query."""
    now = now or timezone.now()
    factor = settings.JOBS_OVERDUE_FACTOR
    rows = {row.name: row for row in JobRun.objects.all()}
    beat = rows.get(JobRun.BEAT)
    heartbeat = settings.BEAT_HEARTBEAT_SECONDS
    states = [
        JobState(
            name=JobRun.BEAT,
            period_seconds=heartbeat,
            last_success_at=beat.last_success_at if beat else None,
            overdue=beat is not None
            and now - beat.last_success_at
            > datetime.timedelta(seconds=heartbeat * factor),
        )
    ]
    for task, job in watched_jobs().items():
        row = rows.get(task)
        last = row.last_success_at if row else None
        since = [t for t in (last, beat.started_at if beat else None) if t]
        states.append(
            JobState(
                name=task,
                period_seconds=job.period_seconds,
                last_success_at=last,
                overdue=bool(since)
                and now - max(since)
                > datetime.timedelta(seconds=job.period_seconds * factor),
            )
        )
    return states


def jobs_status() -> str:
    """/health/'s "jobs" part (see the module docstring)."""
    if celery_app.conf.task_always_eager or not celery_app.conf.broker_url:
        return NOT_CONFIGURED  # tasks run inline: no beat sends anything
    try:
        states = jobs_state()
    except DatabaseError:
        return "down"  # the database part says so too
    if states[0].last_success_at is None:
        return NOT_STARTED
    return OVERDUE if any(state.overdue for state in states) else OK


def jobs_metrics():
    """The scrape-time gauges of beat and the watched jobs (common/metrics.py)."""
    from prometheus_client.core import GaugeMetricFamily

    now = timezone.now()
    states = jobs_state(now=now)
    beat, jobs = states[0], states[1:]
    heartbeat_age = GaugeMetricFamily(
        "hospital_beat_heartbeat_age_seconds",
        "Seconds since beat last wrote its heartbeat (absent: never).",
    )
    if beat.last_success_at is not None:
        heartbeat_age.add_metric([], (now - beat.last_success_at).total_seconds())
    last_success = GaugeMetricFamily(
        "hospital_job_last_success_timestamp_seconds",
        "When each watched periodic job last succeeded (Unix time; absent: never).",
        labels=["task"],
    )
    overdue = GaugeMetricFamily(
        "hospital_job_overdue",
        "1 when beat's heartbeat or the watched job is overdue (as /health/ says).",
        labels=["task"],
    )
    for state in states:
        overdue.add_metric([state.name], 1.0 if state.overdue else 0.0)
    for state in jobs:
        if state.last_success_at is not None:
            last_success.add_metric([state.name], state.last_success_at.timestamp())
    return [heartbeat_age, last_success, overdue]

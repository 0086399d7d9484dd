"""The periodic jobs, kept in django-celery-beat's database schedule.

Each app declares its own jobs in its `<app>/periodic.py` and registers them from its
AppConfig.ready:

    periodic_jobs_register(*PERIODIC_JOBS, app=self.name)

An app registers only its own tasks (the task's dotted name starts with the app's module
path), so no app names another app's task, and moving a job to another app is a change to
that app's list alone.

Beat uses the DatabaseScheduler, so staff can pause or retime a job in the admin;
common/beat.py keeps its rows in step with this registry. Crontabs are in the hospital's
time zone. This module imports no model, so apps.py files can import it at load time.
"""

from dataclasses import dataclass

TIME_ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    task: str
    minute: str
    hour: str = "*"
    description: str = ""
    # How often the job is expected to succeed, in seconds: /health/'s "jobs" part and the
    # metrics watch a job with a period (common/job_runs.py); 0: not watched.
    period_seconds: int = 0


# Job name -> (registering app, job), in registration order.
_JOBS: dict[str, tuple[str, PeriodicJob]] = {}


def periodic_jobs_register(*jobs: PeriodicJob, app: str) -> None:
    """Register `app`'s periodic jobs; call from its AppConfig.ready with `app=self.name`.

    Refuses (ValueError, registering none of `jobs`) a job whose task is not in `app`, and a
    job name another app has registered. Registering the same job again is harmless.
    """
    for job in jobs:
        if not job.task.startswith(f"{app}."):
            raise ValueError(
                f"{app} cannot register the periodic job {job.name!r}: its task "
                f"{job.task!r} is not in {app}; the app that owns the task registers it"
            )
        owner, registered = _JOBS.get(job.name, (app, job))
        if owner != app:
            raise ValueError(
                f"{app} cannot register the periodic job {job.name!r}: "
                f"{owner} has registered a job of that name"
            )
        if registered != job:
            raise ValueError(
                f"{app} registers the periodic job {job.name!r} twice, differently"
            )
    for job in jobs:
        _JOBS[job.name] = (app, job)


def periodic_jobs() -> list[PeriodicJob]:
    """Every registered job, in registration order."""
    return [job for _, job in _JOBS.values()]


def periodic_jobs_of(app: str) -> list[PeriodicJob]:
    """The jobs `app` has registered."""
    return [job for owner, job in _JOBS.values() if owner == app]

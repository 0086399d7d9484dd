"""Rush benchmark: a crowd of patients booking the few seats of one hot session at once.

    python manage.py rush_benchmark            # or: make bench

What it does, in one run:
1. Builds a hospital, a doctor and two identical sessions released in the past, each with K
   seats (--seats, 30) spread over a few 30-minute slots (--slots, 6), and 2 x N patients
   (--patients, 2000), one user and one patient profile each (encrypted like real ones), with
   one JWT access token per user. One session and one half of the patients per workload,
   so the second workload starts from the same state as the first.
2. Starts the app under gunicorn on 127.0.0.1 (a free port, --workers x --threads gthread
   workers) with DJANGO_DEBUG=false, fresh secret and field keys, and the naive baseline
   endpoint turned on (BENCHMARK_BASELINE_ENDPOINT=true), and waits for /health/.
3. Fires the bookings over HTTP at concurrency C (--concurrency, 64): C threads, each with
   its own keep-alive connection, first warm up (one GET of the appointment list each), then
   start together. Each patient sends exactly one booking, for slot (i mod slots) of the
   session, so every slot gets the same rush; once the K seats are gone the rest are refused
   with 409 slot_full. A workload stops when its N requests are done or after --max-seconds
   (requests not sent by then are counted as "not sent"); each request has a timeout.
   The same workload runs first against the real endpoint (POST /api/v1/appointments/book/,
   "optimized") and then against the naive one (POST /api/v1/appointments/book-naive/,
   "baseline": SELECT ... FOR UPDATE, check in Python, save; see appointments/baseline.py);
   --baseline-first swaps the order, to see how much the order itself weighs.
4. Stops gunicorn, audits both sessions in the database (overbooked seats, duplicate
   bookings, queue numbers held twice, counters that disagree with the rows), prints the
   figures and the optimized/baseline ratios, and deletes what it created.

The exit status is 1 when a session is overbooked or holds a duplicate booking (either
workload), or when the run itself fails. Other errors (500s, timeouts) are printed, with the
exceptions found in the server log, but do not fail the run: they are figures to report.

Database: with DATABASE_URL (or --database-url) set to MySQL/MariaDB, that database is used
(migrated first; the benchmark's rows are deleted at the end unless --keep-data). Without
one, a temporary SQLite file is created and migrated, so the development db.sqlite3 is never
touched. The command re-runs itself in a child process with the benchmark's environment, so
the data it writes, the tokens it signs and the server all share one configuration.
"""

import base64
import datetime
import http.client
import json
import math
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import PatientProfile, User
from accounts.selectors import ID_CARD_CONTEXT, ID_CARD_HASH_CONTEXT, PHONE_CONTEXT
from accounts.validators import id_card_check_char
from appointments.models import Appointment, WaitlistEntry
from common.crypto import encrypt, lookup_hash
from common.models import IdempotencyKey, OperationLog
from common.services import Actor
from hospitals.models import Department, Doctor, Hospital
from hospitals.services import department_create, doctor_create, hospital_create
from scheduling.models import ClinicSession, Period, Slot
from scheduling.rules import local_datetime

DEFAULT_SEATS = 30
DEFAULT_PATIENTS = 2000
DEFAULT_CONCURRENCY = 64
DEFAULT_SLOTS = 6
DEFAULT_WORKERS = 4
DEFAULT_THREADS = 8
DEFAULT_MAX_SECONDS = 120
DEFAULT_REQUEST_TIMEOUT = 30
SLOT_MINUTES = 30
MAX_SLOTS = 8  # 30-minute slots from 08:00: the session ends by noon

OPTIMIZED_PATH = "/api/v1/appointments/book/"
BASELINE_PATH = "/api/v1/appointments/book-naive/"
WARM_UP_PATH = "/api/v1/appointments/"
HEALTH_PATH = "/health/"

# Options the parent passes on to the child that does the work.
FORWARDED = (
    "seats",
    "patients",
    "concurrency",
    "slots",
    "workers",
    "threads",
    "max_seconds",
    "request_timeout",
    "json_output",
)


# -- measuring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One request: HTTP status (0 when no answer came), error code, latency in seconds."""

    status: int
    code: str
    seconds: float

    @property
    def label(self) -> str:
        if self.status == 0:
            return self.code
        return f"{self.status} {self.code}".strip()


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (`fraction` in (0, 1]); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def summarize(
    outcomes: list[Outcome], *, elapsed: float, not_sent: int, retried: int
) -> dict[str, Any]:
    """The figures of one workload, from what the client saw."""
    booked = [o.seconds for o in outcomes if o.status == 201]
    sold_out = [
        o.seconds for o in outcomes if o.status == 409 and o.code == "slot_full"
    ]
    others = Counter(
        o.label
        for o in outcomes
        if o.status != 201 and not (o.status == 409 and o.code == "slot_full")
    )
    every = [o.seconds for o in outcomes]
    return {
        "requests": len(outcomes),
        "not_sent": not_sent,
        "booked": len(booked),
        "sold_out": len(sold_out),
        "other_errors": dict(sorted(others.items())),
        "booked_p50_ms": _ms(percentile(booked, 0.50)),
        "booked_p99_ms": _ms(percentile(booked, 0.99)),
        "sold_out_p50_ms": _ms(percentile(sold_out, 0.50)),
        "sold_out_p99_ms": _ms(percentile(sold_out, 0.99)),
        "all_p50_ms": _ms(percentile(every, 0.50)),
        "all_p99_ms": _ms(percentile(every, 0.99)),
        "seconds": round(elapsed, 3),
        "requests_per_second": round(len(outcomes) / elapsed, 1) if elapsed else None,
        "retried_stale_connections": retried,
    }


def session_audit(*, session_id: int) -> dict[str, int]:
    """What the database holds for one session after a rush; every "bad" figure must be 0.

    Counted from the appointment rows by status, not through the unique keys or the
    holds_seat column the booking relies on, so a broken key would show here.
    """
    slots = list(
        Slot.objects.filter(session_id=session_id).values("pk", "capacity", "booked")
    )
    active = Appointment.objects.filter(
        session_id=session_id, status__in=Appointment.UPCOMING
    )
    rows_per_slot = dict(
        active.order_by()
        .values_list("slot_id")
        .annotate(n=Count("pk"))
        .values_list("slot_id", "n")
    )
    per_profile = (
        active.order_by().values("profile_id").annotate(n=Count("pk")).filter(n__gt=1)
    )
    per_queue_no = (
        active.order_by().values("queue_no").annotate(n=Count("pk")).filter(n__gt=1)
    )
    return {
        "capacity": sum(s["capacity"] for s in slots),
        "booked_counter": sum(s["booked"] for s in slots),
        "appointments": active.count(),
        # The slot counters above capacity (the check constraint forbids it; counted anyway).
        "overbooked_seats": sum(max(0, s["booked"] - s["capacity"]) for s in slots),
        # Appointment rows beyond each slot's capacity, whatever the counters say.
        "overbooked_rows": sum(
            max(0, rows_per_slot.get(s["pk"], 0) - s["capacity"]) for s in slots
        ),
        "duplicate_bookings": sum(row["n"] - 1 for row in per_profile),
        "queue_numbers_held_twice": len(per_queue_no),
        "counter_mismatches": sum(
            1 for s in slots if s["booked"] != rows_per_slot.get(s["pk"], 0)
        ),
    }


def audit_is_clean(audit: dict[str, int]) -> bool:
    return (
        audit["overbooked_seats"] == 0
        and audit["overbooked_rows"] == 0
        and audit["duplicate_bookings"] == 0
        and audit["queue_numbers_held_twice"] == 0
    )


_LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
_SERVER_ERROR = re.compile(r"Internal Server Error: (\S+)")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Deadlock\w*)\b")


def server_errors(log_text: str) -> dict[str, dict[str, int]]:
    """Per request path, how often each exception ended a 500 in the server log.

    A traceback's last unindented exception line is the one that reached Django.
    """
    found: dict[str, Counter] = {}
    path, last = None, None

    def flush() -> None:
        if path is not None:
            found.setdefault(path, Counter())[last or "unknown"] += 1

    for line in log_text.splitlines():
        if _LOG_RECORD.match(line):
            flush()
            match = _SERVER_ERROR.search(line)
            path, last = (match.group(1), None) if match else (None, None)
        elif path is not None and _EXCEPTION_LINE.match(line):
            last = line.strip()
    flush()
    return {key: dict(counter) for key, counter in found.items()}


# -- the HTTP client ---------------------------------------------------------------------


class _Connection:
    """One keep-alive connection; reconnects once if the server dropped it while idle."""

    STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.retried = 0

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        for attempt in range(2):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=self.timeout
                )
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except self.STALE:
                self.close()
                # A reused connection closed before any answer: the server never read the
                # request (it drops only idle connections), so sending it again is safe.
                if reused and attempt == 0:
                    self.retried += 1
                    continue
                raise
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            return response.status, data
        raise AssertionError("unreachable")


def _error_code(data: bytes) -> str:
    try:
        return str(json.loads(data)["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return ""


@dataclass(frozen=True)
class Booking:
    token: str
    body: bytes


def fire(
    *,
    port: int,
    path: str,
    bookings: list[Booking],
    concurrency: int,
    max_seconds: float,
    request_timeout: float,
) -> dict[str, Any]:
    """Send every booking once at `concurrency`; return the client-side figures."""
    lanes = max(1, min(concurrency, len(bookings)))
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    next_index = iter(range(len(bookings)))
    clock: dict[str, float] = {}

    def start_clock() -> None:
        clock["start"] = time.perf_counter()
        clock["deadline"] = clock["start"] + max_seconds

    barrier = threading.Barrier(lanes, action=start_clock)
    retried = [0] * lanes
    failures: list[BaseException] = []

    def lane(number: int) -> None:
        conn = _Connection(port, request_timeout)
        mine: list[Outcome] = []
        try:
            # Warm up: open the connection and let the worker thread serve a first request,
            # so the clock measures bookings, not connection set-up or lazy imports.
            warm_token = bookings[number % len(bookings)].token
            try:
                conn.request(
                    "GET", WARM_UP_PATH, None, {"Authorization": f"Bearer {warm_token}"}
                )
            except (OSError, http.client.HTTPException):
                conn.close()
            barrier.wait()
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None or time.perf_counter() >= clock["deadline"]:
                    break
                booking = bookings[index]
                headers = {
                    "Authorization": f"Bearer {booking.token}",
                    "Content-Type": "application/json",
                }
                began = time.perf_counter()
                try:
                    status, data = conn.request("POST", path, booking.body, headers)
                    code = "" if status == 201 else _error_code(data)
                except (OSError, http.client.HTTPException) as exc:
                    status, code = 0, type(exc).__name__
                mine.append(Outcome(status, code, time.perf_counter() - began))
        except BaseException as exc:  # reported after the run; never silently lost
            failures.append(exc)
            barrier.abort()
        finally:
            conn.close()
            retried[number] = conn.retried
            with lock:
                outcomes.extend(mine)

    threads = [threading.Thread(target=lane, args=(n,)) for n in range(lanes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - clock.get("start", time.perf_counter())
    if failures:
        raise failures[0]
    return summarize(
        outcomes,
        elapsed=elapsed,
        not_sent=len(bookings) - len(outcomes),
        retried=sum(retried),
    )


# -- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(
    *, port: int, workers: int, threads: int, log_path: Path
) -> subprocess.Popen:
    """Start gunicorn on 127.0.0.1:`port` with this process's environment."""
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed by the OS
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        # Longer than any pause in the run, so keep-alive connections are not dropped.
        "--keep-alive",
        "75",
        "--timeout",
        "120",
        "--graceful-timeout",
        "30",
        "--log-level",
        "warning",
    ]
    try:
        return subprocess.Popen(
            command, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
        )
    finally:
        log.close()


def gunicorn_wait_healthy(
    process: subprocess.Popen, *, port: int, seconds: float
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"gunicorn exited with status {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", HEALTH_PATH)
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    raise CommandError(f"gunicorn did not answer {HEALTH_PATH} within {seconds:.0f} s")


def gunicorn_stop(process: subprocess.Popen) -> None:
    """Graceful stop (SIGTERM lets running requests finish), then kill if it hangs."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# -- the data ----------------------------------------------------------------------------


@dataclass
class Workload:
    name: str
    path: str
    session_id: int
    bookings: list[Booking]


def _id_card_no(n: int) -> str:
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=n)
    first17 = f"110105{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_card_check_char(first17)


def _session_create(
    *, doctor: Doctor, date: datetime.date, seats: int, slot_count: int
) -> ClinicSession:
    """A morning session released yesterday: `seats` seats over `slot_count` slots.

    Built directly, as tests/scheduling/factories.py builds sessions: the benchmark needs
    seats spread unevenly when they do not divide (30 = 5 x 6, 31 = 6 + 5 x 5), which the
    scheduling services (equal seats per slot) do not make.
    """
    start = datetime.time(8, 0)
    first = local_datetime(date, start)
    length = datetime.timedelta(minutes=SLOT_MINUTES)
    session = ClinicSession(
        doctor=doctor,
        hospital_id=doctor.hospital_id,
        date=date,
        period=Period.MORNING,
        start_time=start,
        end_time=(first + slot_count * length).time(),
        fee=doctor.fee,
        place=f"{doctor.hospital.name} 门诊楼",
        release_at=timezone.now() - datetime.timedelta(days=1),
        is_released=True,
    )
    session.full_clean()
    session.save()
    base, extra = divmod(seats, slot_count)
    queue_start = 1
    for index in range(slot_count):
        capacity = base + (1 if index < extra else 0)
        slot = Slot(
            session=session,
            starts_at=first + index * length,
            ends_at=first + (index + 1) * length,
            capacity=capacity,
            queue_start=queue_start,
        )
        slot.full_clean()
        slot.save()
        queue_start += capacity
    return session


def _patients_create(
    *, prefix: str, count: int, first_serial: int
) -> list[tuple[int, int]]:
    """`count` patient users with one profile each, in bulk; returns (user_id, profile_id)."""
    User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{i:06d}",
                role=User.Role.PATIENT,
                password=make_password(None),  # unusable: they only hold JWTs
            )
            for i in range(count)
        ],
        batch_size=500,
    )
    user_ids = list(
        User.objects.filter(username__startswith=prefix)
        .order_by("username")
        .values_list("pk", flat=True)
    )
    profiles = []
    for i, user_id in enumerate(user_ids):
        id_no = _id_card_no(first_serial + i)
        profiles.append(
            PatientProfile(
                user_id=user_id,
                name=f"压测患者{first_serial + i}",
                relation=PatientProfile.Relation.SELF,
                gender=PatientProfile.Gender.FEMALE,
                birth_date=datetime.date(1990, 3, 7),
                phone_encrypted=encrypt(
                    f"139{(first_serial + i) % 10**8:08d}", context=PHONE_CONTEXT
                ),
                id_card_encrypted=encrypt(id_no, context=ID_CARD_CONTEXT),
                id_card_hash=lookup_hash(id_no, context=ID_CARD_HASH_CONTEXT),
                id_card_last4=id_no[-4:],
            )
        )
    PatientProfile.objects.bulk_create(profiles, batch_size=500)
    profile_ids = dict(
        PatientProfile.objects.filter(user_id__in=user_ids).values_list("user_id", "pk")
    )
    return [(user_id, profile_ids[user_id]) for user_id in user_ids]


def _tokens(user_ids: list[int], *, lifetime: datetime.timedelta) -> dict[int, str]:
    tokens = {}
    for user in User.objects.filter(pk__in=user_ids).only(
        "pk", "is_active", "password"
    ):
        token = AccessToken.for_user(user)
        token.set_exp(lifetime=lifetime)
        tokens[user.pk] = str(token)
    return tokens


def bench_data_create(
    *,
    tag: str,
    seats: int,
    patients: int,
    slot_count: int,
    token_lifetime: datetime.timedelta,
) -> list[Workload]:
    """The hospital, doctor, one session per workload and N patients per workload."""
    actor = Actor.system()
    with transaction.atomic():
        hospital = hospital_create(
            actor=actor,
            name=f"压测医院 {tag}",
            level=Hospital.Level.GRADE_3A,
            region="北京市",
            address="压测路1号",
            phone="010-00000000",
        )
        department = department_create(actor=actor, hospital=hospital, name="压测科")
        doctor = doctor_create(
            actor=actor,
            hospital=hospital,
            department=department,
            name="压测医生",
            title=Doctor.Title.ATTENDING,
            fee=2000,
        )
    today = timezone.localdate()
    workloads = []
    for number, (name, path) in enumerate(
        (("optimized", OPTIMIZED_PATH), ("baseline", BASELINE_PATH))
    ):
        with transaction.atomic():
            session = _session_create(
                doctor=doctor,
                date=today + datetime.timedelta(days=2 + number),
                seats=seats,
                slot_count=slot_count,
            )
            pairs = _patients_create(
                prefix=f"rush-{tag}-{name}-",
                count=patients,
                first_serial=number * patients,
            )
        slot_ids = list(
            Slot.objects.filter(session=session)
            .order_by("starts_at")
            .values_list("pk", flat=True)
        )
        tokens = _tokens([user_id for user_id, _ in pairs], lifetime=token_lifetime)
        bookings = [
            Booking(
                token=tokens[user_id],
                body=json.dumps(
                    {"slot_id": slot_ids[i % len(slot_ids)], "profile_id": profile_id}
                ).encode(),
            )
            for i, (user_id, profile_id) in enumerate(pairs)
        ]
        workloads.append(Workload(name, path, session.pk, bookings))
    return workloads


@transaction.atomic
def bench_data_delete(*, tag: str) -> None:
    """Delete every row a run tagged `tag` created (for a shared MySQL database)."""
    hospital = Hospital.objects.filter(name=f"压测医院 {tag}").first()
    users = User.objects.filter(username__startswith=f"rush-{tag}-")
    if hospital is not None:
        sessions = ClinicSession.objects.filter(hospital=hospital)
        appointments = Appointment.objects.filter(session__in=sessions)
        OperationLog.objects.filter(
            object_type="appointments.appointment",
            object_id__in=[str(pk) for pk in appointments.values_list("pk", flat=True)],
        ).delete()
        appointments.delete()
        WaitlistEntry.objects.filter(session__in=sessions).delete()
        Slot.objects.filter(session__in=sessions).delete()
        sessions.delete()
        doctors = Doctor.objects.filter(hospital=hospital)
        departments = Department.objects.filter(hospital=hospital)
        for model, ids in (
            ("hospitals.doctor", doctors.values_list("pk", flat=True)),
            ("hospitals.department", departments.values_list("pk", flat=True)),
            ("hospitals.hospital", [hospital.pk]),
        ):
            OperationLog.objects.filter(
                object_type=model, object_id__in=[str(pk) for pk in ids]
            ).delete()
        doctors.delete()
        departments.delete()
        hospital.delete()
    OperationLog.objects.filter(actor__in=users).delete()
    IdempotencyKey.objects.filter(user_id__in=users.values("pk")).delete()
    PatientProfile.objects.filter(user__in=users).delete()
    users.delete()


# -- the command -------------------------------------------------------------------------


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Rush benchmark: N patients book the K seats of one session over HTTP under "
        "gunicorn, against the real booking endpoint and a naive baseline."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seats",
            type=_positive,
            default=DEFAULT_SEATS,
            help="K, seats in the hot session (30)",
        )
        parser.add_argument(
            "--patients",
            type=_positive,
            default=DEFAULT_PATIENTS,
            help="N, patients per workload, one booking each (2000)",
        )
        parser.add_argument(
            "--concurrency",
            type=_positive,
            default=DEFAULT_CONCURRENCY,
            help="C, requests in flight (64)",
        )
        parser.add_argument(
            "--slots",
            type=_positive,
            default=DEFAULT_SLOTS,
            help=f"slots the seats are spread over (6, at most {MAX_SLOTS})",
        )
        parser.add_argument(
            "--workers",
            type=_positive,
            default=DEFAULT_WORKERS,
            help="gunicorn worker processes (4)",
        )
        parser.add_argument(
            "--threads",
            type=_positive,
            default=DEFAULT_THREADS,
            help="threads per gunicorn worker (8)",
        )
        parser.add_argument(
            "--max-seconds",
            type=_positive,
            default=DEFAULT_MAX_SECONDS,
            help="time limit of each workload (120)",
        )
        parser.add_argument(
            "--request-timeout",
            type=_positive,
            default=DEFAULT_REQUEST_TIMEOUT,
            help="timeout of one request in seconds (30)",
        )
        parser.add_argument(
            "--database-url",
            default="",
            help="MySQL/MariaDB URL to use instead of DATABASE_URL; without either, a temporary SQLite file",
        )
        parser.add_argument(
            "--baseline-first",
            action="store_true",
            help="run the baseline workload before the optimized one (to see order effects)",
        )
        parser.add_argument(
            "--json-output", default="", help="also write the figures to this JSON file"
        )
        parser.add_argument(
            "--keep-data",
            action="store_true",
            help="keep the benchmark's rows (and the temporary directory)",
        )
        parser.add_argument(
            "--child",
            action="store_true",
            help="(internal) run in the prepared environment",
        )
        parser.add_argument("--tag", default="", help="(internal)")
        parser.add_argument("--workdir", default="", help="(internal)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["slots"] > MAX_SLOTS:
            raise CommandError(f"--slots must be at most {MAX_SLOTS}")
        if options["child"]:
            self._run(options)
        else:
            self._spawn(options)

    # The parent: prepare the environment and run the child in it.

    def _spawn(self, options: dict[str, Any]) -> None:
        database_url = options["database_url"] or os.environ.get("DATABASE_URL", "")
        if database_url and not database_url.startswith(("mysql://", "mysql2://")):
            raise CommandError(
                "Use a mysql:// URL, or no URL at all for a temporary SQLite database."
            )
        if options["json_output"]:  # the child runs in the project directory
            options["json_output"] = str(Path(options["json_output"]).resolve())
        workdir = Path(tempfile.mkdtemp(prefix="rush-benchmark-"))
        env = dict(os.environ)
        env.update(
            DJANGO_DEBUG="false",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
            FIELD_ENCRYPTION_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            BENCHMARK_BASELINE_ENDPOINT="true",
            PYTHONUNBUFFERED="1",
        )
        if database_url:
            env["DATABASE_URL"] = database_url
        else:
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(workdir / "bench.sqlite3")
        command = [
            sys.executable,
            str(Path(settings.BASE_DIR) / "manage.py"),
            "rush_benchmark",
            "--child",
        ]
        command += ["--tag", f"{time.strftime('%m%d%H%M%S')}{secrets.token_hex(2)}"]
        command += ["--workdir", str(workdir)]
        for name in FORWARDED:
            if options[name] not in ("", None):
                command += [f"--{name.replace('_', '-')}", str(options[name])]
        for flag in ("keep_data", "baseline_first"):
            if options[flag]:
                command.append(f"--{flag.replace('_', '-')}")
        try:
            process = subprocess.Popen(
                command,
                cwd=settings.BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            assert process.stdout is not None
            for line in process.stdout:
                self.stdout.write(line, ending="")
            returncode = process.wait()
        finally:
            if options["keep_data"]:
                self.stdout.write(f"kept: {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        if returncode:
            raise CommandError(
                "the rush benchmark failed (see above)", returncode=returncode
            )

    # The child: everything else, in the benchmark's environment.

    def _run(self, options: dict[str, Any]) -> None:
        tag, workdir = options["tag"], Path(options["workdir"])
        seats, patients = options["seats"], options["patients"]
        slot_count = min(options["slots"], seats)
        engine = connection.vendor
        self.stdout.write(
            f"Rush benchmark: {seats} seats over {slot_count} slots, {patients} patients "
            f"per workload, concurrency {options['concurrency']}, gunicorn "
            f"{options['workers']} workers x {options['threads']} threads, {engine}, "
            f"{os.cpu_count()} CPUs"
        )
        began = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            f"  migrated the database in {time.perf_counter() - began:.1f} s"
        )

        began = time.perf_counter()
        lifetime = datetime.timedelta(seconds=2 * options["max_seconds"] + 600)
        try:
            workloads = bench_data_create(
                tag=tag,
                seats=seats,
                patients=patients,
                slot_count=slot_count,
                token_lifetime=lifetime,
            )
            self.stdout.write(
                f"  created 2 sessions and {2 * patients} patients with tokens in "
                f"{time.perf_counter() - began:.1f} s"
            )
            if options["baseline_first"]:
                workloads.reverse()
            results = self._rush(workloads, options, workdir)
            audits = {w.name: session_audit(session_id=w.session_id) for w in workloads}
        finally:
            # The temporary SQLite file goes with its directory; a MySQL database is shared.
            if engine != "sqlite" and not options["keep_data"]:
                bench_data_delete(tag=tag)

        report = {
            "settings": {
                "seats": seats,
                "slots": slot_count,
                "patients": patients,
                "concurrency": options["concurrency"],
                "workers": options["workers"],
                "threads": options["threads"],
                "database": engine,
                "cpus": os.cpu_count(),
            },
            **{name: {**results[name], "audit": audits[name]} for name in results},
        }
        self._print(report)
        if options["json_output"]:
            Path(options["json_output"]).write_text(
                json.dumps(report, indent=2, ensure_ascii=False)
            )
        bad = [
            name
            for name in ("optimized", "baseline")
            if not audit_is_clean(audits[name])
        ]
        if bad:
            raise CommandError(f"overbooked or duplicate bookings in: {', '.join(bad)}")

    def _rush(
        self, workloads: list[Workload], options: dict[str, Any], workdir: Path
    ) -> dict[str, dict[str, Any]]:
        port = free_port()
        log_path = workdir / "gunicorn.log"
        server = gunicorn_start(
            port=port,
            workers=options["workers"],
            threads=options["threads"],
            log_path=log_path,
        )
        results = {}
        try:
            gunicorn_wait_healthy(server, port=port, seconds=60)
            self.stdout.write(f"  gunicorn is up on 127.0.0.1:{port}")
            for workload in workloads:
                results[workload.name] = fire(
                    port=port,
                    path=workload.path,
                    bookings=workload.bookings,
                    concurrency=options["concurrency"],
                    max_seconds=options["max_seconds"],
                    request_timeout=options["request_timeout"],
                )
                figures = results[workload.name]
                self.stdout.write(
                    f"  {workload.name}: {figures['requests']} requests in "
                    f"{figures['seconds']:.1f} s"
                )
        finally:
            gunicorn_stop(server)
            log_text = log_path.read_text(errors="replace")
            if server.returncode != 0:
                self.stdout.write(f"  gunicorn exited with status {server.returncode}:")
                for line in log_text.splitlines()[-20:]:
                    self.stdout.write(f"    {line}")
        errors = server_errors(log_text)
        for workload in workloads:
            if workload.name in results:
                results[workload.name]["server_errors"] = errors.get(workload.path, {})
        return results

    def _print(self, report: dict[str, Any]) -> None:
        rows = (
            ("requests sent", "requests"),
            ("not sent (time limit)", "not_sent"),
            ("booked (201)", "booked"),
            ("sold out (409 slot_full)", "sold_out"),
            ("other answers and failures", "other_errors"),
            ("p50 booked (ms)", "booked_p50_ms"),
            ("p99 booked (ms)", "booked_p99_ms"),
            ("p50 sold out (ms)", "sold_out_p50_ms"),
            ("p99 sold out (ms)", "sold_out_p99_ms"),
            ("p50 all (ms)", "all_p50_ms"),
            ("p99 all (ms)", "all_p99_ms"),
            ("wall time (s)", "seconds"),
            ("requests per second", "requests_per_second"),
        )
        audit_rows = (
            ("seats in the session", "capacity"),
            ("appointments in the session", "appointments"),
            ("overbooked seats (counters)", "overbooked_seats"),
            ("overbooked seats (rows)", "overbooked_rows"),
            ("duplicate bookings", "duplicate_bookings"),
            ("queue numbers held twice", "queue_numbers_held_twice"),
            ("counters != rows", "counter_mismatches"),
        )
        optimized, baseline = report["optimized"], report["baseline"]

        def cell(value: Any) -> str:
            if isinstance(value, dict):
                return str(sum(value.values()))
            return "-" if value is None else str(value)

        self.stdout.write("")
        self.stdout.write(f"{'':32}{'optimized':>14}{'baseline':>14}")
        for title, key in rows:
            self.stdout.write(
                f"{title:32}{cell(optimized[key]):>14}{cell(baseline[key]):>14}"
            )
        for title, key in audit_rows:
            self.stdout.write(
                f"{title:32}{cell(optimized['audit'][key]):>14}{cell(baseline['audit'][key]):>14}"
            )

        for name in ("optimized", "baseline"):
            for key, title in (
                ("other_errors", "other answers"),
                ("server_errors", "500s in the server log"),
            ):
                for what, count in report[name].get(key, {}).items():
                    self.stdout.write(f"{name}, {title}: {count} x {what}")
            if report[name]["retried_stale_connections"]:
                self.stdout.write(
                    f"{name}: {report[name]['retried_stale_connections']} requests sent "
                    "again after the server closed an idle keep-alive connection"
                )

        def ratio(key: str) -> str:
            a, b = optimized[key], baseline[key]
            return f"{a / b:.2f}x" if a and b else "-"

        self.stdout.write(
            f"optimized/baseline: requests per second {ratio('requests_per_second')}, "
            f"p99 all {ratio('all_p99_ms')}, p99 booked {ratio('booked_p99_ms')}, "
            f"p99 sold out {ratio('sold_out_p99_ms')}"
        )

"""The mini-program's API module against a live server: the Node script
miniprogram/tests/contract/run.js logs in by SMS, finds a slot, books, pays through the dev
gateway, then cancels and sees the refund (in a rush, with the session in the seat stock,
the booking is a ticket that the script polls until the writer books it); or,
MP_FLOW=reschedule, moves the paid booking to a cheaper slot of the same doctor and sees the
difference refunded; or, MP_FLOW=consult, asks the doctor an online consult, the doctor logs
in, replies and closes, and the patient rates. All through the real module (wx.request over
Node's http). The SMS goes to the local fake provider; this test hands the code to the
script."""

import datetime
import os
import shutil
import subprocess
import time
from collections.abc import Callable

import pytest

from accounts.models import User
from accounts.services.login import user_get_or_create_for_phone
from appointments.models import Appointment, BookingTicket
from appointments.services.ticket_writer import tickets_write
from appointments.stock.loading import sessions_stock_load
from billing.models import PaymentOrder, Refund
from common.services import Actor
from config.celery import app as celery_app
from consult.models import Consult, ConsultMessage, QuickReply
from consult.services.offers import consult_offer_set
from scheduling.models import Period, Slot
from tests.accounts.factories import (
    PatientProfileFactory,
    UserFactory,
    default_levels,
)
from tests.appointments.stock_helpers import needs_redis, stock
from tests.clients.conftest import MINIPROGRAM
from tests.fakes.sms_server import FakeSmsServer
from tests.race import needs_row_locks
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

__all__ = ["stock"]  # the fixture

PHONE = "13912345678"
DOCTOR_PASSWORD = "Strong-pass-123"
FEE = 3000
CHEAPER_FEE = 2000
TIMEOUT_SECONDS = 90


@pytest.fixture
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip(
            "node is not installed (scripts/system_packages.sh --for-tests installs "
            "Debian's nodejs)"
        )
    return path


@pytest.fixture
def sms_server(settings):
    server = FakeSmsServer().start()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = server.url
    settings.SMS_HTTP_TOKEN = server.token
    yield server
    server.stop()


@pytest.fixture
def tasks_inline():
    """The refund and the messages are sent by tasks: run them in the server's thread, as
    the default settings do, even where a broker is configured."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


@pytest.fixture
def world(transactional_db):
    """One hospital, one doctor, a released session with one slot, a patient with a profile."""
    default_levels()  # a transactional test starts from empty tables
    slot = SlotFactory(session__fee=FEE, session__doctor__fee=FEE)
    user, _ = user_get_or_create_for_phone(actor=Actor.system(), phone=PHONE)
    profile = PatientProfileFactory(user=user)
    return {"slot": slot, "user": user, "profile": profile}


@pytest.fixture
def cheaper_slot(world):
    """A second session of the same doctor, the next day in the afternoon, at a lower fee."""
    first = world["slot"].session
    session = ClinicSessionFactory(
        doctor=first.doctor,
        date=first.date + datetime.timedelta(days=1),
        period=Period.AFTERNOON,
        start_time=datetime.time(14, 0),
        end_time=datetime.time(17, 0),
        fee=CHEAPER_FEE,
    )
    return SlotFactory(session=session)


@pytest.fixture
def consulting_doctor(world):
    """The world's doctor takes free online consults and signs in with a staff account."""
    doctor = world["slot"].session.doctor
    doctor.user = UserFactory(
        role=User.Role.DOCTOR, hospital=doctor.hospital, is_staff=True
    )
    doctor.save()
    consult_offer_set(
        actor=Actor.system(),
        doctor=doctor,
        enabled=True,
        fee=0,
        daily_cap=5,
        reply_hours=24,
    )
    return doctor


def run_script(
    node,
    live_server,
    sms_server,
    tmp_path,
    flow: str = "cancel",
    extra_env=None,
    while_running: Callable[[], object] | None = None,
) -> subprocess.CompletedProcess:
    """Run the script; when the server has texted the code, write it where the script waits.
    `while_running` is called every few milliseconds meanwhile (the booking writer)."""
    code_file = tmp_path / "sms-code"
    env = {
        **os.environ,
        "MP_API_BASE_URL": live_server.url,
        "MP_PHONE": PHONE,
        "MP_SMS_CODE_FILE": str(code_file),
        "MP_FLOW": flow,
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [node, str(MINIPROGRAM / "tests" / "contract" / "run.js")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while process.poll() is None and time.monotonic() < deadline:
        if not code_file.exists() and sms_server.codes_sent_to(PHONE):
            code_file.write_text(sms_server.last_code(PHONE))
        if while_running is not None:
            while_running()
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
    stdout, stderr = process.communicate()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_the_mini_program_books_pays_and_cancels(
    node, live_server, sms_server, world, tasks_inline, settings, tmp_path
):
    settings.PAYMENTS_DEV_GATEWAY = True

    result = run_script(node, live_server, sms_server, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "done"
    appointment = Appointment.objects.get(user=world["user"])
    assert appointment.status == Appointment.Status.CANCELLED
    assert appointment.cancelled_by == Appointment.CancelledBy.PATIENT
    assert appointment.slot_id == world["slot"].pk
    order = PaymentOrder.objects.get(appointment=appointment)
    assert order.channel == "dev"
    assert order.paid_at is not None
    refund = Refund.objects.get(order=order)
    assert refund.amount == order.amount == FEE
    assert refund.status == Refund.Status.SUCCEEDED
    assert len(sms_server.codes_sent_to(PHONE)) == 1


@needs_redis
@needs_row_locks  # the writer runs in this thread beside the live server's
def test_the_mini_program_waits_for_its_booking_ticket_in_a_rush(
    node, live_server, sms_server, world, stock, tasks_inline, settings, tmp_path
):
    # given: the session is loaded in the seat stock (the rush path); a writer runs
    settings.PAYMENTS_DEV_GATEWAY = True
    sessions_stock_load([world["slot"].session_id])

    # when: the mini-program books (with an Idempotency-Key: a 202 ticket at once)
    result = run_script(
        node, live_server, sms_server, tmp_path, while_running=tickets_write
    )

    # then: it polled the ticket until booked, then paid and cancelled as usual
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "done"
    ticket = BookingTicket.objects.get()
    assert f"queued ticket {ticket.pk}" in result.stdout.splitlines()
    appointment = Appointment.objects.get(user=world["user"])
    assert (ticket.status, ticket.appointment_id) == (
        BookingTicket.Status.BOOKED,
        appointment.pk,
    )
    assert f"booked {appointment.pk}" in result.stdout.splitlines()
    assert appointment.status == Appointment.Status.CANCELLED
    refund = Refund.objects.get(order__appointment=appointment)
    assert refund.status == Refund.Status.SUCCEEDED


def test_the_mini_program_reschedules_a_paid_booking(
    node, live_server, sms_server, world, cheaper_slot, tasks_inline, settings, tmp_path
):
    settings.PAYMENTS_DEV_GATEWAY = True

    result = run_script(node, live_server, sms_server, tmp_path, flow="reschedule")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "done"
    appointment = Appointment.objects.get(user=world["user"])
    assert appointment.status == Appointment.Status.BOOKED
    assert (appointment.slot_id, appointment.fee) == (cheaper_slot.pk, CHEAPER_FEE)
    assert appointment.session_id == cheaper_slot.session_id
    # one seat held, on the new slot; the old one given back
    seats = dict(Slot.objects.values_list("pk", "booked"))
    assert seats == {world["slot"].pk: 0, cheaper_slot.pk: 1}
    order = PaymentOrder.objects.get(appointment=appointment)
    assert (order.amount, order.paid_at is not None) == (FEE, True)
    refund = Refund.objects.get(order=order)
    assert (refund.kind, refund.amount) == (Refund.Kind.RESCHEDULE, FEE - CHEAPER_FEE)
    assert refund.status == Refund.Status.SUCCEEDED


def test_the_mini_program_consults_a_doctor(
    node, live_server, sms_server, world, consulting_doctor, settings, tmp_path
):
    settings.STAFF_REQUIRE_OTP = False

    result = run_script(
        node,
        live_server,
        sms_server,
        tmp_path,
        flow="consult",
        extra_env={
            "MP_DOCTOR_USERNAME": consulting_doctor.user.username,
            "MP_DOCTOR_PASSWORD": DOCTOR_PASSWORD,
        },
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "done"
    consult = Consult.objects.get(user=world["user"])
    assert (consult.doctor_id, consult.profile_id) == (
        consulting_doctor.pk,
        world["profile"].pk,
    )
    assert (consult.status, consult.closed_by, consult.stars) == (
        Consult.Status.RATED,
        Consult.ClosedBy.DOCTOR,
        5,
    )
    assert consult.rating_comment == "回复很快"
    sent = [
        (m.sender, m.recalled_at is not None)
        for m in ConsultMessage.objects.filter(consult=consult).order_by("id")
    ]
    assert sent == [("patient", False), ("doctor", True), ("doctor", False)]
    assert QuickReply.objects.filter(doctor=consulting_doctor).count() == 1

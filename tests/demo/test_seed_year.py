"""manage.py seed_year: a consistent, reproducible history, refused twice unless replaced."""

import datetime
from collections import Counter

import pytest
from django.core.management import CommandError
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from appointments.models import Appointment, WaitlistEntry
from billing.models import PaymentLedgerEntry, PaymentOrder, Refund
from demo.history import is_holiday
from demo.history_context import ORDER_PREFIX
from scheduling.models import ClinicSession, Slot
from tests.analytics.factories import appointment_on
from tests.demo.history_helpers import clinic_hospital, seed_year
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

pytestmark = pytest.mark.django_db

S = Appointment.Status
END = "2026-03-31"


def _fingerprint(hospital) -> list[tuple]:
    return list(
        Appointment.objects.filter(hospital=hospital)
        .order_by("order_no")
        .values_list(
            "order_no",
            "status",
            "queue_no",
            "created_at",
            "visit_started_at",
            "profile__user__username",
        )
    )


def test_a_seeded_history_keeps_every_invariant():
    # given a hospital with weekly clinics
    hospital = clinic_hospital("历史医院")

    # when sixty days of history are seeded
    out = seed_year("--hospital", "历史医院", "--days", "60", "--end", END,
                    "--patients", "300")  # fmt: skip

    # then one summary line is printed with the counts written
    summary = out.strip().splitlines()[-1]
    appointments = Appointment.objects.filter(hospital=hospital)
    assert summary.startswith("History of 历史医院, 2026-01-31 to 2026-03-31: ")
    assert f"{appointments.count()} appointments" in summary
    sessions = ClinicSession.objects.filter(hospital=hospital)
    assert sessions.count() > 20
    assert sessions.filter(date__lt="2026-01-31").count() == 0
    assert sessions.filter(date__gt=END).count() == 0

    # every slot's counter is the number of appointments holding a seat in it
    mismatched = (
        Slot.objects.filter(session__hospital=hospital)
        .annotate(
            holding=Count("appointments", filter=Q(appointments__holds_seat=True))
        )
        .exclude(booked=F("holding"))
    )
    assert mismatched.count() == 0
    assert not Slot.objects.filter(booked__gt=F("capacity")).exists()
    # queue numbers are unique among the seats held in a session
    held = appointments.filter(holds_seat=True)
    numbers = Counter(held.values_list("session_id", "queue_no"))
    assert max(numbers.values()) == 1
    # every outcome is there, each with the times it needs
    statuses = Counter(appointments.values_list("status", flat=True))
    assert set(statuses) == {S.COMPLETED, S.NO_SHOW, S.CANCELLED}
    completed = appointments.filter(status=S.COMPLETED)
    assert not completed.filter(
        Q(visit_started_at__isnull=True)
        | Q(visit_ended_at__isnull=True)
        | Q(checked_in_at__isnull=True)
    ).exists()
    for started, ended, booked in completed.values_list(
        "visit_started_at", "visit_ended_at", "created_at"
    ):
        assert booked < started < ended
    assert (
        not appointments.exclude(status=S.COMPLETED)
        .filter(visit_started_at__isnull=False)
        .exists()
    )
    assert not appointments.filter(
        status=S.CANCELLED, cancelled_at__isnull=True
    ).exists()
    # bookings are made within the seven-day window, before the visit
    for booked, visit in appointments.values_list("created_at", "visit_starts_at"):
        assert visit - datetime.timedelta(days=8) < booked < visit
    assert set(appointments.values_list("order_no", flat=True)) == {
        number
        for number in appointments.values_list("order_no", flat=True)
        if number.startswith(ORDER_PREFIX)
    }

    # money: each order is for its appointment's fee, refunds add up, the ledger agrees
    orders = PaymentOrder.objects.filter(appointment__hospital=hospital)
    for order_amount, original, fee, refunded, status in orders.values_list(
        "amount", "original_amount", "appointment__fee", "refunded_amount", "status"
    ):
        assert order_amount == original == fee
        assert refunded in (0, order_amount)
        assert (status == PaymentOrder.Status.REFUNDED) == (refunded == order_amount)
    refunds = Refund.objects.filter(order__appointment__hospital=hospital)
    assert (
        refunds.aggregate(total=Sum("amount"))["total"]
        == orders.aggregate(total=Sum("refunded_amount"))["total"]
    )
    assert set(refunds.values_list("order__appointment__status", flat=True)) == {
        S.CANCELLED
    }
    ledger = PaymentLedgerEntry.objects.filter(order__appointment__hospital=hospital)
    assert ledger.filter(kind="payment").count() == orders.count()
    assert ledger.filter(kind="refund").count() == refunds.count()
    # no-shows and seen visits are paid; a cancelled one was refunded or never paid
    assert not appointments.filter(
        status__in=(S.COMPLETED, S.NO_SHOW), payment_orders__isnull=True
    ).exists()

    # the waitlist: entries promoted into the same session, none still waiting
    entries = WaitlistEntry.objects.filter(session__hospital=hospital)
    assert entries.filter(status=WaitlistEntry.Status.PROMOTED).exists()
    assert not entries.filter(status=WaitlistEntry.Status.WAITING).exists()
    for entry in entries.filter(status=WaitlistEntry.Status.PROMOTED):
        assert entry.appointment.session_id == entry.session_id
        assert entry.appointment.profile_id == entry.profile_id
        assert entry.created_at < entry.appointment.created_at


def test_the_same_seed_writes_the_same_history_and_a_rerun_is_refused():
    # given a seeded history
    hospital = clinic_hospital("历史医院")
    args = ("--hospital", "历史医院", "--days", "21", "--end", END, "--patients", "120")
    seed_year(*args, "--seed", "7")
    first = _fingerprint(hospital)

    # when it is seeded again without --replace
    with pytest.raises(CommandError) as refused:
        seed_year(*args, "--seed", "7")

    # then it is refused, clearly, and nothing changed
    assert "already has" in str(refused.value)
    assert "--replace" in str(refused.value)
    assert _fingerprint(hospital) == first

    # when it is replaced with the same seed, the same history is written
    seed_year(*args, "--seed", "7", "--replace")
    again = _fingerprint(hospital)
    assert [row[:5] for row in again] == [row[:5] for row in first]
    assert again == first

    # and another seed writes another history
    seed_year(*args, "--seed", "8", "--replace")
    assert _fingerprint(hospital) != first


def test_replace_refuses_a_range_with_bookings_it_did_not_write():
    # given a real booking in the range
    hospital = clinic_hospital("历史医院")
    session = ClinicSessionFactory(
        doctor=hospital.doctors.first(), date=datetime.date(2026, 3, 20)
    )
    appointment_on(SlotFactory(session=session), status=S.COMPLETED)

    # when the history is seeded over it with --replace
    with pytest.raises(CommandError) as refused:
        seed_year("--hospital", "历史医院", "--days", "14", "--end", END, "--replace")

    # then it is refused and the booking is still there
    assert "seed_year did not write" in str(refused.value)
    assert Appointment.objects.filter(hospital=hospital).count() == 1


def test_only_the_chosen_hospital_gets_a_history():
    # given two hospitals
    chosen = clinic_hospital("历史医院")
    other = clinic_hospital("别的医院")

    # when one is seeded
    seed_year(
        "--hospital", "历史医院", "--days", "14", "--end", END, "--patients", "80"
    )

    # then the other has nothing
    assert Appointment.objects.filter(hospital=chosen).exists()
    assert not Appointment.objects.filter(hospital=other).exists()
    assert not ClinicSession.objects.filter(hospital=other).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--days", "0"), "--days must be between 1 and 1098, not 0."),
        (("--end", "2026-02-30"), "--end: not a date (YYYY-MM-DD): '2026-02-30'"),
        (("--hospital", "不存在的医院"), "No hospital named '不存在的医院'."),
        (("--patients", "10"), "--patients must be at least 50."),
    ],
)
def test_bad_options_are_refused_with_a_clear_error(args, message):
    clinic_hospital("历史医院")
    with pytest.raises(CommandError) as refused:
        seed_year("--hospital", "历史医院", "--end", END, *args)
    assert str(refused.value) == message
    assert not Appointment.objects.exists()


def test_the_history_ends_before_today():
    clinic_hospital("历史医院")
    today = timezone.localdate()
    with pytest.raises(CommandError) as refused:
        seed_year("--hospital", "历史医院", "--end", str(today))
    assert str(refused.value) == (
        f"--end must be before today ({today}): history only, not {today}."
    )


def test_no_shows_follow_lead_time_and_earlier_no_shows():
    # given a long history (the clinics' own data, as the no-show model reads it)
    hospital = clinic_hospital("历史医院")
    seed_year("--hospital", "历史医院", "--days", "200", "--end", END,
              "--patients", "150")  # fmt: skip
    visits = list(
        Appointment.objects.filter(
            hospital=hospital, status__in=(S.COMPLETED, S.NO_SHOW)
        )
        .order_by("visit_starts_at")
        .values_list("profile_id", "status", "created_at", "visit_starts_at")
    )

    # then bookings made days ahead are missed more often than same-day ones
    def rate(rows):
        return sum(1 for row in rows if row[1] == S.NO_SHOW) / len(rows)

    same_day = [v for v in visits if (v[3] - v[2]) < datetime.timedelta(days=1)]
    far_ahead = [v for v in visits if (v[3] - v[2]) > datetime.timedelta(days=4)]
    assert rate(far_ahead) > rate(same_day)

    # and patients who missed an earlier visit (known before booking) miss more often
    missed_before: dict[int, list] = {}
    with_history, without = [], []
    for profile_id, status, booked, visit in visits:
        earlier = [when for when in missed_before.get(profile_id, []) if when < booked]
        (with_history if earlier else without).append((profile_id, status))
        if status == S.NO_SHOW:
            missed_before.setdefault(profile_id, []).append(visit)
    assert rate(with_history) > rate(without) + 0.05


def test_public_holidays_are_known():
    assert is_holiday(datetime.date(2026, 10, 1))  # National Day
    assert is_holiday(datetime.date(2026, 2, 17))  # Spring Festival
    assert not is_holiday(datetime.date(2026, 3, 14))  # an ordinary Saturday
    assert not is_holiday(datetime.date(2026, 3, 16))  # an ordinary Monday

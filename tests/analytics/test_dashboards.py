"""The admin dashboards: scope, date range, CSV files, permissions and query counts."""

import csv
import datetime
import io

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from analytics.charts.registry import CHARTS, PAGES
from analytics.charts.scope import day_bounds
from appointments.models import Appointment, RiskBand, WaitlistEntry
from billing.models import Channel, PaymentOrder, Refund
from consult.models import Consult
from tests.accounts.factories import PatientFactory, StaffFactory, UserFactory
from tests.analytics.factories import appointment_on, refund_for
from tests.appointments.factories import PatientProfileFactory
from tests.consult.factories import consult_for, offering_doctor
from tests.demo.history_helpers import clinic_hospital, seed_year
from tests.hospitals.factories import DepartmentFactory, DoctorFactory, HospitalFactory
from tests.scheduling.factories import ClinicSessionFactory, SlotFactory

pytestmark = pytest.mark.django_db

S = Appointment.Status
DAY = datetime.date(2026, 3, 10)
RANGE = {"start": "2026-03-01", "end": "2026-03-31"}


def page_url(slug: str) -> str:
    return reverse("analytics_admin:dashboard_page", args=[slug])


def csv_url(chart: str) -> str:
    found = next(c for c in CHARTS if c.slug == chart)
    return reverse("analytics_admin:dashboard_csv", args=[found.page, chart])


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def at(day: datetime.date, hour: int) -> datetime.datetime:
    return day_bounds(day, day)[0] + datetime.timedelta(hours=hour)


def paid(appointment: Appointment, *, when: datetime.datetime) -> PaymentOrder:
    return PaymentOrder.objects.create(
        appointment=appointment,
        hospital_id=appointment.hospital_id,
        user=appointment.user,
        channel=Channel.WECHAT,
        out_trade_no=f"P{appointment.order_no}",
        original_amount=appointment.fee,
        amount=appointment.fee,
        status=PaymentOrder.Status.PAID,
        is_open=None,
        paid_at=when,
    )


def clinic_day(hospital, *, department: str, fee: int) -> dict:
    """One session on DAY at `hospital`: 5 seats; 3 seen, 1 missed, 1 cancelled and
    refunded; each booked two days before at 10:00 and paid then."""
    doctor = DoctorFactory(
        department=DepartmentFactory(hospital=hospital, name=department), fee=fee
    )
    slot = SlotFactory(session=ClinicSessionFactory(doctor=doctor, date=DAY, fee=fee))
    made = at(DAY - datetime.timedelta(days=2), 10)
    visits = [appointment_on(slot, status=s) for s in (S.COMPLETED,) * 3 + (S.NO_SHOW,)]
    cancelled = appointment_on(slot, status=S.CANCELLED)
    for appointment in [*visits, cancelled]:
        paid(appointment, when=made)
    refund = refund_for(cancelled, status=Refund.Status.SUCCEEDED)
    Refund.objects.filter(pk=refund.pk).update(succeeded_at=at(DAY, 9))
    Appointment.objects.filter(slot=slot).update(created_at=made)
    Appointment.objects.filter(pk=visits[3].pk).update(noshow_risk_band=RiskBand.HIGH)
    Appointment.objects.filter(pk=visits[0].pk).update(noshow_risk_band=RiskBand.HIGH)
    return {"doctor": doctor, "slot": slot, "cancelled": cancelled}


@pytest.fixture
def two_hospitals():
    ours = HospitalFactory(name="仁和医院")
    theirs = HospitalFactory(name="瑞康医院")
    clinic_day(ours, department="心内科", fee=3000)
    clinic_day(theirs, department="眼科", fee=5000)
    clinic_day(theirs, department="儿科", fee=5000)
    return ours, theirs


def staff_of(hospital, **kwargs) -> User:
    return StaffFactory(hospital=hospital, **kwargs)


# -- scope -----------------------------------------------------------------------------


def test_staff_see_only_their_hospitals_rows(client, two_hospitals):
    ours, _theirs = two_hospitals
    client.force_login(staff_of(ours))

    rows = read_csv(client.get(csv_url("utilisation-by-department"), RANGE))

    assert rows == [
        ["Department", "Seats offered", "Seats booked", "Patients seen",
         "Booked / seats (%)", "Seen / seats (%)"],
        ["心内科", "5", "4", "3", "80.0", "60.0"],
    ]  # fmt: skip


def test_staff_asking_for_another_hospital_are_refused(client, two_hospitals):
    ours, theirs = two_hospitals
    client.force_login(staff_of(ours))

    assert client.get(page_url("volume"), {"hospital": theirs.pk}).status_code == 403
    assert (
        client.get(csv_url("revenue-per-day"), {"hospital": theirs.pk}).status_code
        == 403
    )
    assert client.get(page_url("volume"), {"hospital": ours.pk}).status_code == 200


def test_doctors_see_their_hospital(client, two_hospitals):
    ours, _theirs = two_hospitals
    doctor = UserFactory(role=User.Role.DOCTOR, hospital=ours, is_staff=True)
    client.force_login(doctor)

    rows = read_csv(client.get(csv_url("noshow-by-risk-band"), RANGE))

    assert rows[1:] == [
        ["low", "0", "0", ""],
        ["medium", "0", "0", ""],
        ["high", "2", "1", "50.0"],
        ["Not scored", "2", "0", "0.0"],
    ]


def test_platform_admins_choose_a_hospital_or_all(client, two_hospitals):
    ours, theirs = two_hospitals
    client.force_login(
        UserFactory(is_staff=True, is_superuser=True, role="platform_admin")
    )

    every = read_csv(client.get(csv_url("utilisation-by-department"), RANGE))
    one = read_csv(
        client.get(
            csv_url("utilisation-by-department"), RANGE | {"hospital": theirs.pk}
        )
    )
    missing = client.get(page_url("volume"), {"hospital": 999_999})

    assert every[0][0] == "Hospital"
    assert sorted(row[:2] for row in every[1:]) == [
        ["仁和医院", "心内科"], ["瑞康医院", "儿科"], ["瑞康医院", "眼科"],
    ]  # fmt: skip
    assert sorted(row[0] for row in one[1:]) == ["儿科", "眼科"]
    assert missing.status_code == 400
    assert "No such hospital." in missing.content.decode()


def test_the_page_names_the_scope_and_offers_hospitals_only_to_the_platform(
    client, two_hospitals
):
    ours, _theirs = two_hospitals
    client.force_login(staff_of(ours))
    staff_page = client.get(page_url("utilisation"), RANGE).content.decode()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    admin_page = client.get(page_url("utilisation"), RANGE).content.decode()

    assert '<span class="scope" id="dashboard-scope">仁和医院</span>' in staff_page
    assert 'name="hospital"' not in staff_page
    assert "瑞康医院" not in staff_page
    assert 'name="hospital"' in admin_page
    assert admin_page.count("<canvas") == 2


# -- date range ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2026-03-31", "end": "2026-03-01"}, "The start date must not be after the end date."),
        ({"start": "2025-01-01", "end": "2026-03-01"}, "Choose a range of at most 366 days."),
        ({"start": "2026-13-01"}, "Enter a valid date."),
    ],
)  # fmt: skip
def test_a_bad_range_shows_a_clear_message_and_no_chart(client, query, message):
    client.force_login(staff_of(HospitalFactory()))

    response = client.get(page_url("volume"), query)
    download = client.get(csv_url("bookings-per-day"), query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<canvas" not in response.content.decode()
    assert download.status_code == 400
    assert download.content.decode() == message


def test_the_default_range_is_the_last_thirty_days(client):
    client.force_login(staff_of(HospitalFactory()))
    rows = read_csv(client.get(csv_url("bookings-per-day")))
    today = timezone.localdate()
    assert [row[0] for row in rows[1:]] == [
        str(today - datetime.timedelta(days=n)) for n in range(29, -1, -1)
    ]


def test_rows_outside_the_range_are_not_counted(client, two_hospitals):
    ours, _theirs = two_hospitals
    client.force_login(staff_of(ours))
    rows = read_csv(
        client.get(
            csv_url("utilisation-by-doctor"),
            {"start": "2026-03-11", "end": "2026-03-31"},
        )
    )
    assert rows[1:] == []


# -- CSV -------------------------------------------------------------------------------


def test_bookings_per_day_counts_bookings_on_the_day_they_were_made(
    client, two_hospitals
):
    ours, _theirs = two_hospitals
    client.force_login(staff_of(ours))

    response = client.get(
        csv_url("bookings-per-day"), {"start": "2026-03-07", "end": "2026-03-09"}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="bookings-per-day_hospital-{ours.pk}_20260307-20260309.csv"'
    )
    assert read_csv(response) == [
        ["Date", "Bookings made", "Confirmed", "Cancelled", "Awaiting payment"],
        ["2026-03-07", "0", "0", "0", "0"],
        ["2026-03-08", "5", "4", "1", "0"],
        ["2026-03-09", "0", "0", "0", "0"],
    ]


def test_revenue_is_in_yuan_on_the_local_day(client, two_hospitals):
    ours, _theirs = two_hospitals
    # a payment at 23:30 on 9 March, Beijing time (15:30 UTC): the 9th, not the 10th
    late = appointment_on(SlotFactory(session=ClinicSessionFactory(
        doctor=DoctorFactory(hospital=ours, fee=1250), date=DAY, fee=1250)), status=S.COMPLETED)  # fmt: skip
    paid(
        late,
        when=at(DAY - datetime.timedelta(days=1), 23) + datetime.timedelta(minutes=30),
    )
    client.force_login(staff_of(ours))

    rows = read_csv(
        client.get(
            csv_url("revenue-per-day"), {"start": "2026-03-08", "end": "2026-03-10"}
        )
    )

    assert rows == [
        ["Date", "Payments", "Received (yuan)", "Refunds", "Refunded (yuan)", "Net (yuan)"],
        ["2026-03-08", "5", "150", "0", "0", "150"],
        ["2026-03-09", "1", "12.5", "0", "0", "12.5"],
        ["2026-03-10", "0", "0", "1", "30", "-30"],
    ]  # fmt: skip


def test_waitlist_conversions(client):
    hospital = HospitalFactory()
    slot = SlotFactory(
        session=ClinicSessionFactory(doctor=DoctorFactory(hospital=hospital), date=DAY)
    )
    session = slot.session
    outcomes = [S.COMPLETED, S.NO_SHOW, S.CANCELLED]
    for status in outcomes:
        appointment = appointment_on(slot, status=status)
        if status != S.CANCELLED:
            paid(appointment, when=at(DAY, 8))
        WaitlistEntry.objects.create(
            user=appointment.user, profile=appointment.profile, session=session,
            status=WaitlistEntry.Status.PROMOTED, appointment=appointment, is_waiting=None,
        )  # fmt: skip
    for status in (WaitlistEntry.Status.CLOSED, WaitlistEntry.Status.LEFT):
        profile = PatientProfileFactory()
        WaitlistEntry.objects.create(
            user=profile.user,
            profile=profile,
            session=session,
            status=status,
            is_waiting=None,
        )
    WaitlistEntry.objects.update(created_at=at(DAY - datetime.timedelta(days=1), 12))
    client.force_login(staff_of(hospital))

    rows = read_csv(client.get(csv_url("waitlist-conversions"), RANGE))

    assert rows == [
        ["Stage", "Entries", "Of those who joined (%)"],
        ["Joined the waitlist", "5", "100.0"],
        ["Given a seat", "3", "60.0"],
        ["Booking kept", "2", "40.0"],
        ["Paid", "2", "40.0"],
        ["Seen by the doctor", "1", "20.0"],
    ]


def test_an_unknown_page_or_chart_is_not_found(client):
    client.force_login(staff_of(HospitalFactory()))
    assert client.get(page_url("nothing")).status_code == 404
    wrong_page = reverse(
        "analytics_admin:dashboard_csv", args=["volume", "revenue-per-day"]
    )
    assert client.get(wrong_page).status_code == 404


# -- who may open them ---------------------------------------------------------------


def test_anonymous_and_patients_are_sent_to_the_admin_login(client):
    login = reverse("admin:login")
    for user in (None, PatientFactory()):
        if user is not None:
            client.force_login(user)
        for url in (
            reverse("analytics_admin:dashboards"),
            page_url("volume"),
            csv_url("revenue-per-day"),
        ):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(login)


def test_a_staff_account_with_no_hospital_role_is_refused(client):
    # an odd combination the admin lets in (a patient marked as staff): nothing to see
    client.force_login(UserFactory(role=User.Role.PATIENT, is_staff=True))
    assert client.get(page_url("volume")).status_code == 403
    assert client.get(csv_url("revenue-per-day")).status_code == 403
    assert client.get(reverse("analytics_admin:dashboards")).status_code == 403


def test_the_dashboards_home_opens_the_first_page_with_the_same_filter(client):
    client.force_login(staff_of(HospitalFactory()))
    response = client.get(reverse("analytics_admin:dashboards"), RANGE)
    assert response.status_code == 302
    assert (
        response["Location"] == page_url("volume") + "?start=2026-03-01&end=2026-03-31"
    )


def test_the_admin_index_links_the_dashboards_for_hospital_staff(client):
    client.force_login(staff_of(HospitalFactory()))
    page = client.get(reverse("admin:index")).content.decode()
    assert (
        f'id="dashboards-link" href="{reverse("analytics_admin:dashboards")}"' in page
    )


def test_consults_per_day_counts_asked_answered_cancelled_and_the_rating(client):
    # given: four consults at our hospital on 8 March, one the day after, one elsewhere
    ours, theirs = HospitalFactory(), HospitalFactory()
    doctor = offering_doctor(hospital=ours)
    made = [consult_for(doctor=doctor) for _ in range(5)]
    consult_for(doctor=offering_doctor(hospital=theirs))
    Consult.objects.filter(pk__in=[c.pk for c in made[:4]]).update(
        created_at=at(DAY - datetime.timedelta(days=2), 10)
    )
    Consult.objects.filter(pk=made[4].pk).update(
        created_at=at(DAY - datetime.timedelta(days=1), 10)
    )
    answered = {"started_at": timezone.now(), "status": Consult.Status.RATED}
    Consult.objects.filter(pk=made[0].pk).update(**answered, stars=5)
    Consult.objects.filter(pk=made[1].pk).update(**answered, stars=4)
    Consult.objects.filter(pk=made[2].pk).update(status=Consult.Status.CANCELLED)
    client.force_login(staff_of(ours))

    # when
    response = client.get(
        csv_url("consults-per-day"), {"start": "2026-03-07", "end": "2026-03-09"}
    )

    # then
    assert read_csv(response) == [
        ["Date", "Consults asked", "Answered by the doctor", "Cancelled",
         "Average rating (stars)"],
        ["2026-03-07", "0", "0", "0", ""],
        ["2026-03-08", "4", "2", "1", "4.5"],
        ["2026-03-09", "1", "0", "0", ""],
    ]  # fmt: skip


# -- query counts ----------------------------------------------------------------------


def page_queries(client, slug: str, query: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(page_url(slug), query)
    assert response.status_code == 200
    return len(queries)


def test_each_page_runs_a_fixed_number_of_queries_whatever_the_data(
    client, django_assert_max_num_queries
):
    # given a small history, and then a larger one
    hospital = clinic_hospital("历史医院")
    staff = staff_of(hospital)
    client.force_login(staff)
    query = {"start": "2026-01-01", "end": "2026-03-31"}
    seed_year("--hospital", "历史医院", "--days", "5", "--end", "2026-01-05",
              "--patients", "60")  # fmt: skip
    small = {page.slug: page_queries(client, page.slug, query) for page in PAGES}
    seed_year("--hospital", "历史医院", "--days", "80", "--end", "2026-03-31",
              "--patients", "200", "--seed", "2")  # fmt: skip
    assert (
        Appointment.objects.count()
        > 10 * Appointment.objects.filter(session__date__lte="2026-01-05").count()
    )

    # then each page costs the same number of queries, at most 15
    for page in PAGES:
        with django_assert_max_num_queries(15):
            larger = page_queries(client, page.slug, query)
        assert larger == small[page.slug], page.slug

    # and so for the platform, over every hospital or one of them
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for page in PAGES:
        for chosen in ({}, {"hospital": hospital.pk}):
            with django_assert_max_num_queries(15):
                page_queries(client, page.slug, query | chosen)


def test_the_chart_library_is_served_from_our_static_files(client):
    client.force_login(staff_of(HospitalFactory()))
    page = client.get(page_url("volume")).content.decode()

    assert '<script src="/static/vendor/chartjs/chart.umd.min.js" defer>' in page
    assert '<script src="/static/analytics/dashboards.js" defer>' in page
    assert '<script src="http' not in page
    library = finders.find("vendor/chartjs/chart.umd.min.js")
    with open(library, encoding="utf-8") as file:
        assert file.read(40).startswith("/*!\n * Chart.js v4.")
    assert finders.find("vendor/chartjs/LICENSE.md")

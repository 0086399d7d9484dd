"""The dashboards in a real browser, on a year of seeded history: charts drawn, in
Chinese, for the staff member's hospital only. Each page's load time and query count are
printed (run with -s to see them); the query count is asserted (at most 15), the time is
not (it depends on the machine)."""

import datetime
import json
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics.charts.registry import PAGES, charts_on
from analytics.charts.scope import day_bounds
from appointments.models import Appointment
from hospitals.models import Department, Doctor, Hospital
from tests.accounts.factories import StaffFactory
from tests.demo.history_helpers import seed_year

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Strong-pass-123"  # tests.accounts.factories.UserFactory's password
OURS, THEIRS = "北京仁和医院", "上海瑞康医院"
TITLES = {
    "volume": ["每日预约量", "每日在线问诊"],
    "utilisation": ["各科室利用率", "各医生利用率"],
    "noshow": ["每周爽约率", "各风险等级爽约率"],
    "revenue": ["每日收款与退款（元）"],
    "waitlist": ["候补转化"],
}


def test_staff_see_their_hospitals_year_in_charts(open_page, capsys):
    # given a year of history at the staff member's hospital and a month at another
    end = timezone.localdate() - datetime.timedelta(days=1)
    start = end - datetime.timedelta(days=364)
    seed_year("--hospital", OURS, "--days", "365", "--end", str(end))
    seed_year("--hospital", THEIRS, "--days", "30", "--end", str(end), "--seed", "2")
    ours = Hospital.objects.get(name=OURS)
    staff = StaffFactory(hospital=ours)
    our_departments = set(
        Department.objects.filter(hospital=ours, doctors__isnull=False).values_list(
            "name", flat=True
        )
    )
    their_departments = (
        set(Department.objects.exclude(hospital=ours).values_list("name", flat=True))
        - our_departments
    )
    our_doctors = set(
        Doctor.objects.filter(hospital=ours).values_list("name", flat=True)
    )
    # bookings made on the range's local days (no __date lookup: MariaDB without its
    # time-zone tables answers NULL to CONVERT_TZ)
    first_moment, after_last = day_bounds(start, end)
    expected_bookings = Appointment.objects.filter(
        hospital=ours, created_at__gte=first_moment, created_at__lt=after_last
    ).count()
    query = f"?start={start}&end={end}"

    # the queries each page costs, read in this thread (the live server runs in another)
    client = Client()
    client.force_login(staff)
    queries, server_ms = {}, {}
    for page in PAGES:
        url = reverse("analytics_admin:dashboard_page", args=[page.slug]) + query
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url)
            server_ms[page.slug] = (time.perf_counter() - began) * 1000
        assert response.status_code == 200
        queries[page.slug] = len(captured)

    # when they log in and open each dashboard in the browser
    page = open_page()
    page.goto("/admin/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_selector("#dashboards-link")
    measured = {}
    for dashboard in PAGES:
        url = reverse("analytics_admin:dashboard_page", args=[dashboard.slug]) + query
        began = time.perf_counter()
        page.goto(url)
        charts = charts_on(dashboard)
        page.wait_for_function(
            f"document.querySelectorAll('canvas[data-drawn=true]').length === {len(charts)}"
        )
        measured[dashboard.slug] = (time.perf_counter() - began) * 1000
        navigation = page.evaluate(
            "JSON.stringify(performance.getEntriesByType('navigation')[0])"
        )
        timing = json.loads(navigation)

        # then its charts are drawn, titled in Chinese, for their hospital only
        titles = page.locator(".dashboard-chart h2").all_inner_texts()
        assert titles == TITLES[dashboard.slug]
        assert page.locator("#dashboard-scope").inner_text() == OURS
        content = page.content()
        assert THEIRS not in content
        data = {
            chart.slug: json.loads(
                page.locator(f"#chart-data-{chart.slug}").text_content()
            )
            for chart in charts
        }
        if dashboard.slug == "volume":
            assert (
                sum(data["bookings-per-day"]["datasets"][0]["data"])
                == expected_bookings
            )
            assert len(data["bookings-per-day"]["labels"]) == 365
        if dashboard.slug == "utilisation":
            assert set(data["utilisation-by-department"]["labels"]) == our_departments
            assert (
                not set(data["utilisation-by-department"]["labels"]) & their_departments
            )
            names = {
                label.split(" · ")[0]
                for label in data["utilisation-by-doctor"]["labels"]
            }
            assert names <= our_doctors
        timing_ms = timing["responseEnd"] - timing["requestStart"]
        measured[dashboard.slug] = (measured[dashboard.slug], timing_ms)
        assert queries[dashboard.slug] <= 15

    lines = [f"Dashboards on a year of {OURS} ({expected_bookings} bookings made):"]
    for slug, (drawn_ms, response_ms) in measured.items():
        lines.append(
            f"  {slug:<12} server {server_ms[slug]:6.0f} ms, response {response_ms:6.0f} ms,"
            f" drawn {drawn_ms:6.0f} ms, {queries[slug]} queries"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))  # noqa: T201 - the measured figures, for the README

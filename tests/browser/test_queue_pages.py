"""In a real browser, in Chinese: staff open 排队模型 and 门诊模拟 from the admin index."""

import os

import pytest

from tests.analytics.factories import staff_with
from tests.analytics.queue_history import busy_department
from tests.hospitals.factories import DepartmentFactory, HospitalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Strong-pass-123"  # tests.accounts.factories.UserFactory's password


def test_staff_open_the_queue_model_and_the_simulation_for_a_department(
    open_page, tmp_path
):
    # given a department with five mornings of two doctors' clinics
    hospital = HospitalFactory(name="北京仁和医院")
    department = DepartmentFactory(hospital=hospital, name="内科")
    busy_department(department, doctors=2, days=5)
    staff = staff_with(hospital, permissions=())
    shots = os.environ.get("SCREENSHOT_DIR", tmp_path)

    # when they log in and follow the index's link to the queue model
    page = open_page()
    page.goto("/admin/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.locator("#analytics-queue-links a", has_text="排队模型").click()
    page.select_option("#id_department", label="内科")
    page.locator("input[type=submit]").click()
    page.wait_for_selector("#queue-model")
    page.screenshot(path=f"{shots}/queue-model.png", full_page=True)

    # then the page shows the measured rates and the model, in Chinese
    assert page.locator("h1").inner_text() == "排队模型"
    assert page.locator("td.visits").inner_text() == "40"
    assert page.locator("td.lambda").inner_text() == "2.00"
    assert page.locator("td.rho").inner_text() == "0.250"
    assert "排班建议" in page.locator(".staffing").inner_text()

    # and the simulation compares the policies over the grid
    page.goto("/admin/")
    page.locator("#analytics-queue-links a", has_text="门诊模拟").click()
    page.select_option("#id_department", label="内科")
    page.locator("input[type=submit]").click()
    page.wait_for_selector("#simulation-grid")
    page.screenshot(path=f"{shots}/simulation.png", full_page=True)
    assert page.locator("h1").inner_text() == "门诊模拟"
    assert page.locator("#simulation-grid tr.grid-cell").count() == 9

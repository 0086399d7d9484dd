"""The portal's 爽约记录与申诉 page in Chromium and in Chinese, checked by axe-core.

A patient with three missed visits (restricted by the hospital's default rule) logs in,
goes from the patients page to one patient's records, sees the pause with its reason and
end date, sends an appeal whose file is not what its name says (refused in the form,
nothing stored), then sends it with a real PNG: the page says it was sent, the record
shows the pending appeal and no form any more, and the proof is stored encrypted.
"""

import concurrent.futures
import datetime

import pytest
from django.db import connection
from django.utils import timezone

from accounts.services.login import user_get_or_create_for_phone
from appointments.ledger.services import appeal_attachment_content
from appointments.models import LedgerAppeal, LedgerEntry
from common.services import Actor
from tests.accounts.factories import PatientProfileFactory
from tests.appointments.test_ledger import PNG, no_show
from tests.browser.portal_login import portal_log_in
from tests.browser.test_portal import AxeChecker, sms_server
from tests.hospitals.factories import DoctorFactory, HospitalFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["sms_server"]  # the fixture

PHONE = "13900139002"


def _restricted_patient():
    user, _ = user_get_or_create_for_phone(actor=Actor.system(), phone=PHONE)
    profile = PatientProfileFactory(user=user, name="钱七")
    doctor = DoctorFactory(hospital=HospitalFactory(name="北京安和医院"))
    for days in (2, 3, 4):
        no_show(profile, doctor, days)
    return profile


def test_a_restricted_patient_appeals_a_record_with_a_proof(
    open_page, sms_server, settings, tmp_path
):
    # given a patient restricted by three missed visits; files go to a fresh folder
    settings.MEDIA_ROOT = tmp_path / "media"
    profile = _restricted_patient()
    last_visit = LedgerEntry.objects.order_by("-occurred_at").first()
    until = (
        timezone.localdate(last_visit.occurred_at) + datetime.timedelta(days=30)
    ).isoformat()
    fake = tmp_path / "proof.png"
    fake.write_bytes(b"not an image at all")
    proof = tmp_path / "hospital-note.png"
    proof.write_bytes(PNG)
    axe = AxeChecker()
    page = open_page()
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    # when the patient opens the records from the patients page
    portal_log_in(page, sms_server, PHONE)
    page.get_by_role("navigation", name="主菜单").get_by_role(
        "link", name="就诊人"
    ).click()
    page.get_by_role("link", name="爽约记录").click()
    page.wait_for_url(f"**/h5/profiles/{profile.pk}/ledger/")

    # then the pause is shown with its reason and end date, and the three records
    page.get_by_role("heading", name="钱七 的爽约记录").wait_for()
    alert = page.get_by_role("alert")
    assert "北京安和医院" in alert.inner_text()
    assert "您在90天内爽约3次" in alert.inner_text()
    assert until in alert.inner_text()
    entries = page.locator("li.entry")
    assert entries.count() == 3
    axe.check(page)

    # when an appeal is sent with a file that is not what its name says
    first = entries.first
    first.get_by_label("申诉理由").fill("那天我在住院，附住院证明")
    first.get_by_label("证明材料（PDF、JPEG 或 PNG，可不传）").set_input_files(
        str(fake)
    )
    first.get_by_role("button", name="提交申诉").click()

    # then the form says why, keeps the reason, and nothing is stored
    page.get_by_text("仅接受 PDF、JPEG 和 PNG 文件。").first.wait_for()
    refused = page.locator("li.entry").first
    assert refused.get_by_label("申诉理由").input_value() == "那天我在住院，附住院证明"
    axe.check(page)

    # when it is sent again with a real PNG
    refused.get_by_label("证明材料（PDF、JPEG 或 PNG，可不传）").set_input_files(
        str(proof)
    )
    refused.get_by_role("button", name="提交申诉").click()

    # then the page says it was sent; that record shows the pending appeal, no form
    page.get_by_role("status").filter(
        has_text="申诉已提交，请等待医院处理。"
    ).wait_for()
    appealed = page.locator("li.entry").filter(has=page.locator(".appeal-status"))
    assert appealed.count() == 1
    assert "申诉: 待处理" in appealed.inner_text()
    assert appealed.get_by_role("button", name="提交申诉").count() == 0
    assert page.get_by_role("button", name="提交申诉").count() == 2  # the other two
    assert "那天我在住院，附住院证明" in page.locator("li.appeal").inner_text()
    axe.check(page)

    assert axe.violations == []
    # the one appeal is stored with its proof, encrypted, and no refused file is left
    # (read on a thread of its own: Playwright's loop runs in this one, where Django
    # refuses database calls)
    appeal, proof_read = _in_thread(_stored_appeal)
    assert appeal.reason == "那天我在住院，附住院证明"
    assert appeal.attachment_name == "hospital-note.png"
    assert proof_read == PNG
    stored = list((tmp_path / "media" / "appeals").iterdir())
    assert [f"appeals/{f.name}" for f in stored] == [appeal.attachment_storage_name]
    assert PNG not in stored[0].read_bytes()


def _stored_appeal():
    try:
        appeal = LedgerAppeal.objects.get()
        return appeal, appeal_attachment_content(appeal)
    finally:
        connection.close()


def _in_thread(fn):
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()

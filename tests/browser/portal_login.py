"""Logging in to the patient portal in the browser, as a patient does: by an SMS code."""


def portal_log_in(page, sms_server, phone: str) -> None:
    """Ask for a code, type the one the fake SMS server received, land on 我的预约."""
    page.goto("/h5/login/")
    page.get_by_label("手机号").fill(phone)
    page.get_by_role("button", name="发送验证码").click()
    page.get_by_text("验证码已发送至").wait_for()
    page.get_by_label("短信验证码").fill(sms_server.last_code(phone))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/h5/appointments/")

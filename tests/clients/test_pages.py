"""The mini-program's pages: each page in app.json has its four files, and every page a
notification opens (settings.NOTIFICATIONS) is one of them."""

import json

from django.conf import settings

from tests.clients.conftest import MINIPROGRAM

APP = json.loads((MINIPROGRAM / "app.json").read_text())


def test_every_page_has_its_files():
    missing = [
        f"{page}.{ext}"
        for page in APP["pages"]
        for ext in ("js", "json", "wxml", "wxss")
        if not (MINIPROGRAM / f"{page}.{ext}").is_file()
    ]
    assert not missing


def test_every_page_a_notification_opens_exists():
    pages = {
        conf["page"].split("?", 1)[0]
        for conf in settings.NOTIFICATIONS["EVENTS"].values()
    }
    assert pages, "no notification pages configured"
    assert pages <= set(APP["pages"]), sorted(pages - set(APP["pages"]))

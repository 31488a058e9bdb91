"""The monthly report's HTML email, rendered in Chromium the way a mail client would."""

import base64
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from tests.e2e.conftest import screenshot
from tests.reports.test_monthly_report import org  # noqa: F401  (the same organisation)

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_html_email_renders_readably(org, phone_page):  # noqa: F811
    with time_machine.travel(datetime(2026, 11, 3, 8, tzinfo=UTC), tick=False):
        call_command("send_monthly_report")
    message = mail.outbox[0]
    html = message.alternatives[0][0]
    chart = next(
        part for part in message.attachments if getattr(part, "get_content_type", lambda: "")() == "image/png"
    )
    inline = "data:image/png;base64," + base64.b64encode(chart.get_payload(decode=True)).decode()
    page = phone_page
    page.set_content(html.replace("cid:inline-image", inline))
    assert page.get_by_text("IT exists to support your work.").is_visible()
    image = page.locator("img")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    screenshot(page, "monthly-email-phone")
    assert date(2026, 10, 1).strftime("%B") in page.content()

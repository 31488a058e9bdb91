"""Managers' pages in headless Chromium: the monthly report preview and the import steps."""

from pathlib import Path

import pytest
from django.utils import timezone

from conversations import demo as listening_demo
from reports import demo as report_demo
from surveys import demo
from tests.e2e.conftest import assert_accessible, screenshot, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIXTURE = (
    Path(__file__).resolve().parents[1]
    / "surveys"
    / "fixtures"
    / "carpentries-longterm-2020-other-no-open.csv"
)


@pytest.fixture
def manager():
    user = make_user("boss", "Managers")
    demo.build(timezone.now())
    listening_demo.build(timezone.localdate(), facilitator=user)
    report_demo.build()


def test_monthly_report_preview_is_accessible(live_server, desktop_page, manager):
    page = desktop_page
    sign_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/dashboard/monthly/")
    assert page.get_by_text("This is the email exactly as it will be sent").is_visible()
    screenshot(page, "monthly-preview")
    assert_accessible(page)
    page.goto(f"{live_server.url}/dashboard/monthly/settings/")
    assert_accessible(page)


def test_import_steps_are_accessible_and_import(live_server, desktop_page, manager):
    page = desktop_page
    sign_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/import/")
    assert_accessible(page)
    page.set_input_files("input[type=file]", str(FIXTURE))
    page.get_by_label("Survey title").fill("carpentries")
    page.get_by_role("button", name="Upload and check").click()
    assert page.get_by_text("Detected a csv export with 176 complete responses").is_visible()
    screenshot(page, "import-mapping")
    assert_accessible(page)
    page.get_by_role("button", name="Import").click()
    assert page.get_by_text("confirm").first.is_visible()  # nothing stored under an unconfirmed scale
    for confirm in page.get_by_label("Use this scale for these columns").all():
        confirm.check()
    page.get_by_role("button", name="Import").click()
    assert page.get_by_text("Imported 176 responses").is_visible()

"""A manager brings a real export in through the pages and sees every question on the
dashboard (issue 14): the scales proposed and confirmed, choice distributions, rating
questions without a dimension."""

from pathlib import Path

import pytest

from tests.e2e.conftest import assert_accessible, screenshot, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CARPENTRIES = (
    Path(__file__).resolve().parents[1]
    / "surveys"
    / "fixtures"
    / "carpentries-longterm-2020-other-no-open.csv"
)


def test_a_manager_imports_a_real_export_and_sees_every_question(live_server, desktop_page):
    make_user("boss", "Managers")
    page = desktop_page
    sign_in(page, live_server, "boss")

    page.goto(f"{live_server.url}/import/")
    assert page.get_by_label("Survey title").is_visible()
    assert not page.get_by_label("Web address of the survey").is_visible(), "the address waits under Advanced"
    screenshot(page, "import-1-upload")
    assert_accessible(page)
    page.set_input_files("input[type=file]", str(CARPENTRIES))
    page.get_by_label("Survey title").fill("Carpentries long-term survey 2020")
    page.get_by_role("button", name="Upload and check").click()

    assert page.get_by_text("Detected a csv export with 176 complete responses").is_visible()
    assert page.get_by_text("Confirm the scales", exact=True).is_visible()
    assert page.locator("details.column-group").count() <= 6, "24 columns in a few groups"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4 * 900, f"the mapping page is {height}px tall"
    screenshot(page, "import-2-mapping")
    assert_accessible(page)
    page.locator("details.column-group").first.locator("summary").click()
    assert_accessible(page)  # an opened group too

    for confirm in page.get_by_label("Use this scale for these columns").all():
        confirm.check()
    page.get_by_role("button", name="Check again").click()
    assert not page.get_by_text("confirm its scale").count()
    preview = page.get_by_role("region", name="Preview of the first responses")
    assert preview.get_by_text("—").first.is_visible(), "missing answers show as —"
    screenshot(page, "import-3-confirmed")
    assert_accessible(page)

    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/dashboard/?survey=carpentries-long-term-survey-2020")
    assert page.get_by_text("Imported 176 responses").is_visible()
    every = page.locator("section", has=page.get_by_role("heading", name="Every question"))
    assert every.locator("#rated-questions").get_by_text("recommendation_score").is_visible()
    assert every.locator("table.choice-distribution").count() >= 3
    assert every.get_by_text("fewer than").count() == 0 or every.locator("meter").count() > 0
    every.scroll_into_view_if_needed()
    screenshot(page, "import-4-dashboard")
    assert_accessible(page)

"""The actions page ("Did our changes move perception?") on the demo organisation, in
headless Chromium at desktop and phone widths: a table beside every chart, axe clean."""

import shutil
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from conversations import demo as listening_demo
from surveys import demo
from tests.e2e.conftest import assert_accessible, screenshot, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(tempfile.gettempdir()) / "shots-impact"


@pytest.fixture
def demo_org():
    viewer = make_user("viewer", "Viewers")
    demo.build(timezone.now())
    listening_demo.build(timezone.localdate(), facilitator=viewer)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_actions_page_shows_each_effect_with_a_table_beside_its_chart(
    live_server, desktop_page, phone_page, demo_org, viewport
):
    page = desktop_page if viewport == "desktop" else phone_page
    sign_in(page, live_server, "viewer")
    page.goto(f"{live_server.url}/dashboard/actions/")
    assert page.get_by_role("heading", name="Did our changes move perception?").is_visible()
    assert page.get_by_text("Responsiveness: moved up").first.is_visible()
    assert page.get_by_text("Reliability: no clear change").first.is_visible()
    charts = page.locator("figure img")
    assert charts.count() == 2  # one per measured effect
    for index in range(charts.count()):
        chart = charts.nth(index)
        chart.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())
        # The figures of every chart are in a table in the same figure.
        assert chart.locator("xpath=ancestor::figure//table").count() == 1
    path = screenshot(page, f"actions-impact-{viewport}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / f"actions-impact-{'1280' if viewport == 'desktop' else '390'}.png")
    assert_accessible(page)

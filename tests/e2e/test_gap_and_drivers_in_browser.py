"""The perception gap and the drivers page on the demo organisation, in headless Chromium
at desktop and phone widths: each chart loads with its data table beside it, and axe-core
finds nothing."""

import shutil
import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from surveys import demo
from tests.e2e.conftest import assert_accessible, screenshot, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Also kept outside the checkout, where the reviewer looks: /tmp/shots-gap/ on Linux.
SHOTS = Path(tempfile.gettempdir()) / "shots-gap"


@pytest.fixture
def demo_org():
    make_user("manager", "Viewers")
    demo.build(timezone.now())


def _chart_loaded(page, selector: str) -> None:
    chart = page.locator(selector)
    chart.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=chart.element_handle())


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(screenshot(page, name), SHOTS / f"{name}.png")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_gap_and_drivers_render_with_tables_beside_their_charts(
    live_server, desktop_page, phone_page, demo_org, viewport
):
    page = desktop_page if viewport == "desktop" else phone_page
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/dashboard/?survey=it-service")
    page.get_by_role("link", name="How IT sees itself against how users see IT").click()
    assert page.get_by_role("heading", name="Blind spots, 2026 Q4").is_visible()
    _chart_loaded(page, "figure img")
    assert page.locator("#gap-table tbody tr").count() >= 5
    assert page.locator("#blind-spots li").first.is_visible()
    assert page.locator("#gap-trends tbody tr").count() >= 5
    _shot(page, f"gap-{viewport}")
    assert_accessible(page)

    page.goto(f"{live_server.url}/dashboard/?survey=it-service")
    page.get_by_role("link", name="What drives satisfaction").click()
    assert page.get_by_role("heading", name="What drives satisfaction").is_visible()
    _chart_loaded(page, "figure img")
    assert page.locator("#drivers-table tbody tr").count() == 5
    assert "Responsiveness" in page.locator("#drivers-table tbody tr").first.inner_text()
    _shot(page, f"drivers-{viewport}")
    assert_accessible(page)


def test_drivers_say_why_when_a_wave_has_too_few_people(live_server, desktop_page, demo_org):
    page = desktop_page
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/dashboard/drivers/?survey=it-service&wave=nope")
    assert page.get_by_text("There is no wave “nope”").is_visible()
    assert_accessible(page)

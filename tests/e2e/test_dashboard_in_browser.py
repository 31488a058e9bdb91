"""The dashboard on the demo organisation, in headless Chromium at desktop and phone widths."""

import pytest
from django.utils import timezone

from conversations import demo as listening_demo
from perception.models import Theme
from surveys import demo
from tests.e2e.conftest import assert_accessible, screenshot, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_org():
    viewer = make_user("manager", "Viewers")
    demo.build(timezone.now())
    listening_demo.build(timezone.localdate(), facilitator=viewer)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_dashboard_renders_with_charts(live_server, desktop_page, phone_page, demo_org, viewport):
    page = desktop_page if viewport == "desktop" else phone_page
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/dashboard/?survey=it-service")
    charts = page.locator("figure img")
    assert charts.count() == 6  # overall and five dimensions
    for index in range(charts.count()):
        charts.nth(index).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=charts.nth(index).element_handle()
        )
    assert page.get_by_role("heading", name="Departments, 2026 Q4").is_visible()
    assert page.locator("td.heat-suppressed").count() >= 5  # Legal is too small
    assert page.get_by_text("Printers").first.is_visible()
    screenshot(page, f"dashboard-{viewport}")
    assert_accessible(page)


def test_theme_drill_down_is_accessible(live_server, desktop_page, demo_org):
    page = desktop_page
    sign_in(page, live_server, "manager")
    theme = Theme.objects.get(name="Slow ticket resolution")
    page.goto(f"{live_server.url}/dashboard/themes/{theme.pk}/?survey=it-service")
    assert page.get_by_role("heading", name="Survey comments").is_visible()
    assert page.locator("blockquote").count() == 25  # a page of comments
    assert page.get_by_role("link", name="Next").is_visible()
    screenshot(page, "theme-drill-down")
    assert_accessible(page)


def test_department_heatmap_with_a_department_filter_is_accessible(live_server, desktop_page, demo_org):
    page = desktop_page
    sign_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/dashboard/?survey=it-service&department=Legal")
    # Legal is small: only waves with five or more of its people are shown anywhere.
    document = page.evaluate("document.body.innerText")
    assert "fewer than 5 responses" in page.content()
    assert "Rests on" not in document or "2026 Q4" not in document.split("Rests on")[1].split(".")[0]
    screenshot(page, "dashboard-legal")
    assert_accessible(page)
    page.goto(f"{live_server.url}/dashboard/?survey=it-service")
    page.locator("table.heatmap").scroll_into_view_if_needed()
    assert_accessible(page)

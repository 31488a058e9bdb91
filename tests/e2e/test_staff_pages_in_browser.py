"""Every staff page in headless Chromium at a phone's 390 px and a laptop's 1280 px: no
sideways scrolling, a navigation that collapses on the phone and fits one row on the
laptop, and no axe-core violations, in normal and form-error states."""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from conversations import demo as listening_demo
from conversations.models import Conversation
from perception.models import Theme
from reports import demo as report_demo
from reports.models import MonthlyReport
from surveys import demo
from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


@pytest.fixture
def organisation():
    """The demo organisation, a superuser who sees every staff page, one sent report."""
    user = User.objects.create_superuser("root", "root@example.org", "a-long-test-password")
    demo.build(timezone.now())
    listening_demo.build(timezone.localdate(), facilitator=user)
    report_demo.build()
    MonthlyReport.objects.create(
        period=timezone.localdate().replace(day=1),
        subject="IT in October: satisfaction 3.5 of 5",
        body_text="Our latest survey…",
        body_html="<p>Our latest survey…</p>",
        recipients="all@example.org",
        status=MonthlyReport.SENT,
        sent_at=timezone.now(),
    )
    return {
        "conversation": Conversation.objects.filter(notes__isnull=False).first(),
        "theme": Theme.objects.filter(notes__isnull=False).first(),
        "report": MonthlyReport.objects.get(),
    }


def staff_pages(objects) -> list[str]:
    conversation, theme = objects["conversation"], objects["theme"]
    note = conversation.notes.first()
    return [
        "/",
        "/dashboard/",
        "/dashboard/how-to-read/",
        f"/dashboard/themes/{theme.pk}/",
        "/coverage/",
        "/conversations/",
        "/conversations/new/",
        f"/conversations/{conversation.pk}/",
        f"/conversations/{conversation.pk}/edit/",
        f"/conversations/{conversation.pk}/notes/{note.pk}/edit/",
        f"/conversations/{conversation.pk}/notes/{note.pk}/delete/",
        "/capture/",
        "/people/",
        "/people/new/",
        "/themes/",
        "/themes/new/",
        f"/themes/{theme.pk}/",
        f"/themes/merge/?source={theme.pk}&target={Theme.objects.exclude(pk=theme.pk).first().pk}",
        "/themes/import/",
        "/actions/",
        "/actions/new/",
        "/coding/",
        "/import/",
        "/dashboard/monthly/",
        "/dashboard/monthly/send/",
        "/dashboard/monthly/history/",
        f"/dashboard/monthly/history/{objects['report'].pk}/",
        "/dashboard/monthly/settings/",
        "/dashboard/monthly/service-metrics/",
    ]


def page_at(browser, size: dict, javascript: bool = True):
    phone = size["width"] < 576
    context = browser.new_context(
        viewport=size, is_mobile=phone, has_touch=phone, java_script_enabled=javascript, bypass_csp=True
    )
    return context.new_page()


def assert_fits(page, size: dict, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= size["width"], f"{where}: {width} px wide in a {size['width']} px window"


def assert_navigation_fits(page, size: dict, where: str) -> None:
    menu = page.locator("#site-menu")
    if size["width"] < 992:
        assert not menu.is_visible(), f"{where}: the menu is collapsed on a phone"
        assert page.get_by_role("button", name="Menu").is_visible()
        assert page.locator("header").bounding_box()["height"] <= 72, f"{where}: the header stays one row"
    else:
        tops = page.locator("#site-menu .site-nav > li").evaluate_all(
            "items => items.map(item => Math.round(item.getBoundingClientRect().top))"
        )
        assert len(set(tops)) == 1, f"{where}: the navigation is one row at {size['width']} px"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_staff_page_fits_collapses_and_passes_axe(live_server, browser, organisation, width):
    size = WIDTHS[width]
    page = page_at(browser, size)
    sign_in(page, live_server, "root")
    for path in staff_pages(organisation):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() == 1, path
        assert_fits(page, size, path)
        assert_navigation_fits(page, size, path)
        name = path.strip("/").split("?")[0].replace("/", "-") or "home"
        screenshot(page, f"staff-{width}-{name}")
        assert_accessible(page)
    page.context.close()


# Each form sent empty (or wrong): the page that comes back must be as accessible.
ERROR_STATES = [
    ("/conversations/new/", "Save"),
    ("/people/new/", "Save"),
    ("/capture/", "Save note"),
    ("/themes/new/", "Save"),
    ("/actions/new/", "Save"),
    ("/themes/import/", "Import"),
    ("/import/", "Upload and check"),
    ("/dashboard/monthly/settings/", "Save"),
    ("/dashboard/monthly/service-metrics/", "Import"),
    ("conversation", "Add note"),
    ("note", "Save the change"),
]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_form_error_state_passes_axe(live_server, browser, organisation, width):
    size = WIDTHS[width]
    page = page_at(browser, size)
    sign_in(page, live_server, "root")
    conversation = organisation["conversation"]
    note = conversation.notes.first()
    paths = {
        "conversation": f"/conversations/{conversation.pk}/",
        "note": f"/conversations/{conversation.pk}/notes/{note.pk}/edit/",
    }
    for path, button in ERROR_STATES:
        page.goto(f"{live_server.url}{paths.get(path, path)}")
        if path == "note":
            page.get_by_label("What did you hear?").fill("")
        elif path == "/dashboard/monthly/settings/":
            page.get_by_label("Recipients").fill("not an address")
            page.locator("input[name=send_day]").fill("40")
        page.locator("main").get_by_role("button", name=button, exact=True).click()
        page.wait_for_load_state()
        assert page.locator(".alert-danger, .invalid-feedback, .errorlist, .alert-warning").count() > 0, path
        assert_fits(page, size, f"{path} (errors)")
        screenshot(page, f"error-{width}-{(paths.get(path, path)).strip('/').replace('/', '-')}")
        assert_accessible(page)
    page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_phone_menu_opens_with_and_without_javascript(live_server, browser, organisation, javascript):
    page = page_at(browser, PHONE, javascript=javascript)
    sign_in(page, live_server, "root")
    assert not page.locator("#site-menu").is_visible()
    page.get_by_role("button", name="Menu").click()
    page.get_by_text("Listen", exact=True).click()
    page.get_by_role("link", name="People").click()
    page.wait_for_url(f"{live_server.url}/people/")
    assert page.locator("h1").inner_text() == "People"
    page.context.close()

"""The Administration pages in headless Chromium at 390 px and 1280 px: no sideways
scrolling, the navigation on one row on a laptop, and no axe-core violations, with and
without form errors; and an invited person choosing a password in the browser."""

import os
import re
from pathlib import Path

import pytest
from django.core import mail

from conversations.models import Person
from perception.models import Department
from tests.e2e.conftest import DESKTOP, PHONE, assert_accessible, screenshot, sign_in
from tests.e2e.test_staff_pages_in_browser import assert_fits, assert_navigation_fits, page_at
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
# Set ADMIN_SHOTS to a folder to get a copy of this file's screenshots there as well.
SHOTS = os.getenv("ADMIN_SHOTS", "")


def shoot(page, name: str) -> None:
    """The shared screenshot folder, and a copy in ADMIN_SHOTS when it is set."""
    screenshot(page, name)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def organisation():
    """An administrator who also listens (so the people import shows), a small tree, staff."""
    administrator = make_user("ada", "Administrators")
    from django.contrib.auth.models import Group, Permission

    listeners, _ = Group.objects.get_or_create(name="Listeners")
    listeners.permissions.add(
        *Permission.objects.filter(codename__in=["view_results", "log_conversations", "code_comments"])
    )
    administrator.groups.add(listeners)
    corporate = Department.objects.create(name="Corporate services")
    finance = Department.objects.create(name="Finance", parent=corporate)
    Department.objects.create(name="Payroll", parent=finance)
    Department.objects.create(name="Sales")
    Person.objects.create(name="Ana Diaz", department=finance)
    for name, role in [("lee", "Viewers"), ("mo", "Managers"), ("pat", "Listeners")]:
        make_user(name, role)
    return {"administrator": administrator, "finance": finance, "corporate": corporate}


def pages(objects) -> list[str]:
    return [
        "/administration/",
        "/administration/staff/",
        "/administration/staff/invite/",
        f"/administration/staff/{objects['administrator'].pk}/",
        "/administration/departments/",
        "/administration/departments/new/",
        f"/administration/departments/{objects['finance'].pk}/",
        "/administration/settings/",
        "/people/import/",
    ]


def name_of(path: str) -> str:
    return path.strip("/").replace("/", "-") or "home"


@pytest.mark.parametrize("width", WIDTHS)
def test_every_administration_page_fits_and_passes_axe(live_server, browser, organisation, width):
    size = WIDTHS[width]
    page = page_at(browser, size)
    sign_in(page, live_server, "ada")
    for path in pages(organisation):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() == 1, path
        assert_fits(page, size, path)
        assert_navigation_fits(page, size, path)
        shoot(page, f"admin-{width}-{name_of(path)}")
        assert_accessible(page)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_administration_form_error_state_passes_axe(
    live_server, browser, organisation, width, tmp_path
):
    size = WIDTHS[width]
    page = page_at(browser, size)
    sign_in(page, live_server, "ada")
    bad_file = tmp_path / "people.csv"
    bad_file.write_text("name,email,department\nAna,ana@example.org,Finance\nBo,bo@,Nowhere\n")

    def invite():
        page.get_by_label("Email address").fill("not an address")

    def cycle():
        page.get_by_label("Part of (optional)").select_option(label="Payroll")

    def settings():
        page.get_by_label("Minimum group size").fill("2")

    def people():
        page.get_by_label(re.compile("People CSV")).set_input_files(str(bad_file))

    def own_role():
        page.get_by_label("Administrators").uncheck()

    states = [
        ("/administration/staff/invite/", invite, "Send the invitation"),
        (f"/administration/departments/{organisation['finance'].pk}/", cycle, "Save"),
        ("/administration/departments/new/", lambda: None, "Save"),
        ("/administration/settings/", settings, "Save"),
        ("/people/import/", people, "Import"),
        (f"/administration/staff/{organisation['administrator'].pk}/", own_role, "Save roles"),
    ]
    for path, fill, button in states:
        page.goto(f"{live_server.url}{path}")
        fill()
        page.locator("main").get_by_role("button", name=button, exact=True).click()
        page.wait_for_load_state()
        assert page.locator(".alert-danger, .invalid-feedback").count() > 0, path
        assert_fits(page, size, f"{path} (errors)")
        shoot(page, f"admin-error-{width}-{name_of(path)}")
        assert_accessible(page)
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_an_invited_person_chooses_a_password_and_signs_in(
    live_server, browser, organisation, width, settings
):
    settings.SITE_URL = live_server.url
    size = WIDTHS[width]
    admin = page_at(browser, size)
    sign_in(admin, live_server, "ada")
    admin.goto(f"{live_server.url}/administration/staff/invite/")
    admin.get_by_label("Email address").fill("noor@example.org")
    admin.get_by_label("Viewers").check()
    admin.get_by_role("button", name="Send the invitation").click()
    admin.wait_for_url(f"{live_server.url}/administration/staff/")
    assert "Invitation sent to noor@example.org" in admin.locator("main").inner_text()
    admin.context.close()

    link = re.search(r"http://\S+/accounts/password/\S+/", mail.outbox[-1].body).group(0)
    page = page_at(browser, size)
    page.goto(link)
    assert_fits(page, size, "choose a password")
    shoot(page, f"admin-{width}-choose-password")
    assert_accessible(page)
    page.locator("#id_new_password1").fill("chosen-by-noor-2026")
    page.locator("#id_new_password2").fill("something-else-2026")
    page.get_by_role("button", name="Set my password").click()
    assert page.locator(".invalid-feedback, .alert-danger").count() > 0
    shoot(page, f"admin-error-{width}-choose-password")
    assert_accessible(page)
    page.locator("#id_new_password1").fill("chosen-by-noor-2026")
    page.locator("#id_new_password2").fill("chosen-by-noor-2026")
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_url(f"{live_server.url}/accounts/password/done/")
    assert_accessible(page)
    sign_in(page, live_server, "noor@example.org", "chosen-by-noor-2026")
    assert page.locator("h1").count() == 1
    page.context.close()

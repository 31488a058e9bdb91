"""A manager invites a department, one person answers through the emailed link on a
phone, and the reminder reaches only those who have not answered; in headless Chromium."""

import os
import re
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from conversations.models import Person
from surveys import instrument
from surveys.models import Question, Response, Survey
from tests.e2e.conftest import assert_accessible, screenshot, sign_in
from tests.factories import make_departments, make_user, make_wave

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.getenv("INVITE_SHOTS", "/tmp/shots-invite"))  # noqa: S108  (for a person to look at)
LINK = re.compile(r"http://[^/\s]+(/s/i/[^/\s]+/)")


def shot(page, name: str) -> None:
    """For a person to look at: /tmp/shots-invite/, and the usual artifacts folder."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    screenshot(page, name)


@pytest.fixture
def invited_world():
    """The built-in (anonymous, 17-question) survey with an open wave, owned by a manager;
    three people with addresses in Finance and one in Sales."""
    instrument.install(Survey, Question)
    survey = Survey.objects.get(slug=instrument.SLUG)
    manager = make_user("boss", "Managers")
    survey.owners.add(manager)
    finance, sales = make_departments("Finance", "Sales")
    for name in ("ana", "bo", "cy"):
        Person.objects.create(name=name.title(), email=f"{name}@example.org", department=finance)
    Person.objects.create(name="Di", email="di@example.org", department=sales)
    return survey, make_wave(survey, label="2026 Q4")


def test_invite_a_department_answer_on_a_phone_and_remind_the_rest(
    live_server, desktop_page, phone_page, invited_world
):
    survey, wave = invited_world
    page = desktop_page
    sign_in(page, live_server, "boss")
    invitations = f"{live_server.url}/surveys/{survey.slug}/waves/{wave.pk}/invitations/"
    page.goto(invitations)
    assert page.get_by_role("heading", name="Invitations").is_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Invite people…").click()
    page.get_by_label("Finance").check()
    page.get_by_label("Subject").fill("How is IT doing for you?")
    page.get_by_role("button", name="Show the preview").click()
    preview = page.frame_locator("iframe.email-frame")
    expect(preview.get_by_text("Answer the survey")).to_be_visible()
    assert page.get_by_text("How is IT doing for you?").first.is_visible()
    assert page.get_by_label("Finance").is_checked()  # the choices survive the preview
    shot(page, "invite-compose-desktop")
    assert_accessible(page)
    page.get_by_role("button", name="Invite them").click()
    page.wait_for_url(invitations)
    expect(page.get_by_text("Invited 3 people")).to_be_visible()
    shot(page, "invitations-desktop")
    assert_accessible(page)
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "bo@example.org", "cy@example.org"]

    # Ana answers on her phone through the emailed link.
    email = next(m for m in mail.outbox if m.to == ["ana@example.org"])
    assert email.subject == "How is IT doing for you?"
    phone = phone_page
    phone.goto(live_server.url + LINK.search(email.body).group(1))
    progress = phone.locator("#survey-progress")
    assert progress.get_attribute("aria-live") == "polite"
    assert progress.inner_text().endswith("questions in this survey")
    assert_accessible(phone)
    shot(phone, "personal-link-phone")
    for fieldset in phone.locator("fieldset.question").all():
        labels = fieldset.locator(".scale label")
        labels.nth(3 if labels.count() == 5 else 9).click()
    assert re.fullmatch(r"Question \d+ of \d+", progress.inner_text())
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_url(f"**/s/{survey.slug}/thanks/")
    assert Response.objects.count() == 1

    # The manager sends a reminder: it reaches Bo and Cy, not Ana.
    mail.outbox.clear()
    page.goto(invitations)
    page.get_by_label("Reminders").select_option(label="One reminder")
    page.get_by_label("Days apart").fill("3")
    page.get_by_role("button", name="Save the reminder plan").click()
    page.get_by_role("button", name="Send the next reminder now").click()
    expect(page.get_by_text("A reminder is being sent")).to_be_visible()
    assert sorted(m.to[0] for m in mail.outbox) == ["bo@example.org", "cy@example.org"]
    assert all(m.subject.startswith("Reminder:") for m in mail.outbox)
    assert_accessible(page)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(invitations)
    shot(page, "invitations-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="Invite people…").click()
    expect(page.frame_locator("iframe.email-frame").get_by_text("Answer the survey")).to_be_visible()
    shot(page, "invite-compose-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page)


def test_the_pages_work_with_the_content_security_policy_enforced(live_server, browser, invited_world):
    """The email preview frame, the progress note and the browser-kept draft break no rule."""
    survey, wave = invited_world
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # the policy enforced
    page = context.new_page()
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text[:80]) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: blocked.append(str(error)))
    sign_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/surveys/{survey.slug}/waves/{wave.pk}/invitations/new/")
    expect(page.frame_locator("iframe.email-frame").get_by_text("Answer the survey")).to_be_visible()
    page.get_by_label("And these addresses").fill("ana@example.org")
    page.get_by_role("button", name="Invite them").click()
    link = LINK.search(mail.outbox[0].body).group(1)
    page.goto(live_server.url + link)
    page.locator("fieldset.question").first.locator(".scale label").nth(3).click()
    expect(page.locator("#survey-progress")).to_have_text(re.compile(r"Question 1 of \d+"))
    # The answer so far is kept in this browser only: it is there when the link is reopened.
    page.goto(live_server.url + link)
    expect(page.locator("fieldset.question").first.locator("input[value='4']")).to_be_checked()
    context.close()
    assert blocked == []

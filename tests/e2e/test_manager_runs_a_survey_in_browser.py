"""Issue 17's "Must show", end to end in headless Chromium: a manager builds a survey with
one question of every kind, previews, publishes, opens a wave, copies its link, asks IT
staff for their view, invites a department; one person answers through the emailed link
on a phone, and the reminder reaches only those who have not answered. Every builder
page visited, error states included, passes axe-core."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from conversations.models import Person
from surveys.models import Response, Survey, Wave
from tests.e2e.conftest import PHONE, assert_accessible, sign_in
from tests.e2e.test_builder_in_browser import add_question, shot
from tests.e2e.test_invitations_in_browser import LINK
from tests.factories import make_departments, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-flow")  # noqa: S108 (where the brief asks for them)


def look(page, name: str) -> None:
    """axe-core finds nothing, and screenshots at 1280 and 390 px for a person to look at."""
    assert_accessible(page)
    shot(page, name, SHOTS)


def answer_every_question(page) -> None:
    """Pick the first option of each choice or scale and write in each text box."""
    for question in page.locator("[data-question]").all():
        box = question.locator("textarea")
        if box.count():
            box.fill("Faster laptop repairs, please.")
            continue
        first = question.locator("input[type=radio], input[type=checkbox]").first
        page.locator(f"label[for='{first.get_attribute('id')}']").click()


def test_a_manager_builds_a_survey_invites_a_department_and_reminds_the_rest(
    live_server, desktop_page, phone_page
):
    make_user("boss", "Managers")
    finance, sales = make_departments("Finance", "Sales")
    for name in ("ana", "bo", "cy"):
        Person.objects.create(name=name.title(), email=f"{name}@example.org", department=finance)
    Person.objects.create(name="Di", email="di@example.org", department=sales)
    page = desktop_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, live_server, "boss")

    # Build: settings, then one question of every kind; an empty question is an error state.
    page.goto(f"{live_server.url}/surveys/")
    page.get_by_role("link", name="Create a survey").click()
    page.locator("#id_title").fill("IT pulse")
    page.locator("#id_intro").fill("Two minutes about how IT supports your work.")
    page.get_by_label("Anonymous").check()
    page.locator("#id_min_group_size").fill("5")
    page.get_by_role("button", name="Create the survey").click()
    expect(page.get_by_text("Survey created as a draft")).to_be_visible()
    page.get_by_label("Add a question of kind").select_option(label="Free text")
    page.get_by_role("button", name="Add a question").click()
    page.get_by_role("button", name="Add the question").click()
    expect(page.get_by_text("Please fix the problems marked below")).to_be_visible()
    look(page, "01-question-error")
    page.get_by_role("link", name="Cancel").click()
    add_question(page, "Rating 1–5", "IT helps me get my work done")
    add_question(page, "Rating 1–7", "IT explains changes well", scale_preset="agree7")
    add_question(page, "Rating on a declared scale", "How satisfied are you with your laptop?")
    page.get_by_role("link", name="Edit “How satisfied are you with your laptop?”").click()
    page.locator("#id_scale_preset").select_option("satisfied5")
    page.get_by_role("button", name="Save the question").click()
    add_question(
        page,
        "Scale 0–10",
        "How likely are you to recommend IT to a colleague?",
        scale_preset="likely10",
        likelihood_to_recommend=True,
    )
    add_question(page, "Single choice", "Which device do you use most?", choices="Laptop\nDesktop\nPhone")
    add_question(page, "Multiple choice", "How do you contact IT?", choices="Email\nChat\nPhone")
    add_question(page, "Free text", "What one thing should IT change?")
    assert page.locator("ol.list-group > li").count() == 7
    look(page, "02-builder")

    # Preview, then publish.
    page.get_by_role("link", name="Preview the respondents' page").click()
    expect(page.get_by_text("this is the page respondents will see")).to_be_visible()
    look(page, "03-preview")
    page.get_by_role("link", name="Back to the builder").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published. Create a wave")).to_be_visible()
    survey = Survey.objects.get(title="IT pulse")
    assert not survey.draft

    # Open a wave from today; a closing day before the opening day is an error state.
    today = timezone.localdate()
    page.get_by_role("link", name="Open a new wave").click()
    page.locator("#id_label").fill("Spring")
    page.locator("#id_opens").fill(today.isoformat())
    page.locator("#id_closes").fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Create the wave").click()
    expect(page.get_by_text("cannot be before the opening day")).to_be_visible()
    look(page, "04-wave-error")
    page.locator("#id_closes").fill((today + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Create the wave").click()
    expect(page.get_by_text("Wave “Spring” created")).to_be_visible()
    link = page.locator("#open-link").input_value()
    assert link.endswith(f"/s/{survey.slug}/")
    page.get_by_role("button", name="Copy the link").click()
    expect(page.get_by_text("Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    look(page, "05-wave")

    # IT staff's own view: a wave of its own, reached by personal links only.
    page.get_by_role("button", name="Ask IT staff for their view of this wave").click()
    expect(page.get_by_text("Self-view wave “Spring — IT self-view” created")).to_be_visible()
    assert page.locator("#open-link").count() == 0 and page.locator("img.qr-code").count() == 0
    assert Wave.objects.get(survey=survey, self_view_of__isnull=False).self_view_of.label == "Spring"
    look(page, "06-self-view-wave")
    page.get_by_role("link", name="Invite IT staff").click()
    expect(page.get_by_text("invite IT staff only")).to_be_visible()
    look(page, "07-self-view-invitations")
    page.go_back()
    page.get_by_role("link", name="wave Spring").click()

    # Invite a department.
    page.get_by_role("link", name="Invitations").click()
    invitations = page.url
    page.get_by_role("link", name="Invite people…").click()
    page.get_by_label("Finance").check()
    page.get_by_label("Subject").fill("How is IT doing for you?")
    look(page, "08-invite")
    page.get_by_role("button", name="Invite them").click()
    page.wait_for_url(invitations)
    expect(page.get_by_text("Invited 3 people")).to_be_visible()
    look(page, "09-invitations")
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "bo@example.org", "cy@example.org"]

    # Ana answers on her phone through the emailed link.
    email = next(m for m in mail.outbox if m.to == ["ana@example.org"])
    phone = phone_page
    assert phone.viewport_size == PHONE
    phone.goto(live_server.url + LINK.search(email.body).group(1))
    assert phone.locator("[data-question]").count() == 7
    answer_every_question(phone)
    shot(phone, "10-answer-phone", SHOTS)
    phone.get_by_role("button", name="Send my answers").click()
    phone.wait_for_url(f"**/s/{survey.slug}/thanks/")
    assert Response.objects.get().wave.label == "Spring"

    # The reminder reaches Bo and Cy, not Ana.
    mail.outbox.clear()
    page.goto(invitations)
    page.get_by_label("Reminders").select_option(label="One reminder")
    page.get_by_label("Days apart").fill("3")
    page.get_by_role("button", name="Save the reminder plan").click()
    page.get_by_role("button", name="Send the next reminder now").click()
    expect(page.get_by_text("A reminder is being sent")).to_be_visible()
    assert sorted(m.to[0] for m in mail.outbox) == ["bo@example.org", "cy@example.org"]
    look(page, "11-reminded")

    page.goto(f"{live_server.url}/surveys/")
    look(page, "12-list")

"""The survey builder in headless Chromium: a manager builds a survey with one question of
every kind, meets the publish checks, fixes them, previews, opens a wave and copies its link.
Every builder page, error states included, passes axe-core."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from surveys.models import Response, Survey
from tests.e2e.conftest import PHONE, assert_accessible, sign_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("/tmp/shots-builder")  # noqa: S108 (where the brief asks for them)


def shot(page, name: str, folder: Path = SHOTS) -> None:
    """Full-page screenshots at the desktop width and at a phone's, for a person to look at."""
    folder.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(folder / f"{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": width, "height": 900})


def add_question(page, kind_label: str, text: str, **fields) -> None:
    page.get_by_label("Add a question of kind").select_option(label=kind_label)
    page.get_by_role("button", name="Add a question").click()
    page.locator("#id_text").fill(text)
    for field, value in fields.items():
        target = page.locator(f"#id_{field}")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(value)
        elif value is True:
            target.check()
        else:
            target.fill(value)
    page.get_by_role("button", name="Add the question").click()
    assert page.get_by_text("Question added").is_visible()


def test_a_manager_builds_publishes_previews_and_opens_a_survey(live_server, desktop_page):
    make_user("boss", "Managers")
    page = desktop_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, live_server, "boss")

    page.goto(f"{live_server.url}/surveys/")
    assert page.get_by_text("No surveys yet").is_visible()
    assert_accessible(page)
    shot(page, "01-empty-list")

    page.get_by_role("link", name="Create a survey").click()
    page.locator("#id_title").fill("IT pulse")
    page.locator("#id_intro").fill("Two minutes about how IT supports your work.")
    page.get_by_label("Anonymous").check()
    page.locator("#id_min_group_size").fill("1")
    page.get_by_role("button", name="Create the survey").click()
    assert page.get_by_text("site minimum").first.is_visible()
    assert page.locator("#id_title").input_value() == "IT pulse"  # kept what was typed
    assert_accessible(page)
    shot(page, "02-create-error")
    page.locator("#id_min_group_size").fill("5")
    page.get_by_role("button", name="Create the survey").click()
    assert page.get_by_text("Survey created as a draft").is_visible()

    # One question of every kind; three left incomplete for the publish checks.
    page.get_by_label("Add a question of kind").select_option(label="Rating 1–5")
    page.get_by_role("button", name="Add a question").click()
    assert_accessible(page)
    page.get_by_role("button", name="Add the question").click()  # no text: an error state
    assert page.get_by_text("Please fix the problems marked below").is_visible()
    assert_accessible(page)
    shot(page, "03-question-error")
    page.locator("#id_text").fill("IT helps me get my work done")
    page.locator("#id_dimension").select_option("__new__")
    page.locator("#id_new_dimension").fill("Support")
    page.get_by_role("button", name="Add the question").click()
    add_question(page, "Rating 1–7", "IT explains changes well", scale_preset="agree7")
    add_question(page, "Rating on a declared scale", "How satisfied are you with your laptop?")
    add_question(page, "Scale 0–10", "How likely are you to recommend IT to a colleague?")
    add_question(page, "Single choice", "Which device do you use most?")
    add_question(
        page, "Multiple choice", "How do you contact IT?", choices="Email\nChat\nPhone", other_label="Other"
    )
    add_question(page, "Free text", "What one thing should IT change?")
    assert_accessible(page)
    shot(page, "04-builder")

    page.get_by_role("button", name="move “What one thing should IT change?” up").click()
    items = page.locator("ol.list-group > li .fw-semibold").all_inner_texts()
    assert items[-2:] == ["What one thing should IT change?", "How do you contact IT?"]

    page.get_by_role("button", name="Publish").click()
    problems = page.locator("#publish-problems li")
    assert problems.count() == 3
    assert page.get_by_text("needs at least two options").is_visible()
    assert page.get_by_text("rating without its scale").is_visible()
    assert page.get_by_text("needs labels for both ends").is_visible()
    assert_accessible(page)
    shot(page, "05-publish-errors")

    page.get_by_role("link", name="needs at least two options").click()
    page.locator("#id_choices").fill("Laptop\nDesktop\nPhone")
    page.get_by_role("button", name="Save the question").click()
    page.get_by_role("button", name="Publish").click()
    page.get_by_role("link", name="rating without its scale").click()
    assert_accessible(page)
    page.locator("#id_scale_preset").select_option("satisfied5")
    page.get_by_role("button", name="Save the question").click()
    page.get_by_role("button", name="Publish").click()
    page.get_by_role("link", name="needs labels for both ends").click()
    page.locator("#id_scale_preset").select_option("likely10")
    page.locator("#id_likelihood_to_recommend").check()
    page.get_by_role("button", name="Save the question").click()
    page.get_by_role("button", name="Publish").click()
    assert page.get_by_text("Published. Create a wave").is_visible()
    assert not Survey.objects.get(title="IT pulse").draft

    page.get_by_role("link", name="Preview the respondents' page").click()
    assert page.get_by_text("this is the page respondents will see").is_visible()
    assert page.get_by_text("How satisfied are you with your laptop?").is_visible()
    assert_accessible(page)
    shot(page, "06-preview")
    page.get_by_role("button", name="Send my answers").click()  # nothing answered: the real checks
    assert page.get_by_text("Answer at least one question").first.is_visible()
    assert_accessible(page)
    assert not Response.objects.exists()
    page.get_by_role("link", name="Back to the builder").click()

    page.get_by_role("link", name="Open a new wave").click()
    page.locator("#id_label").fill("Spring")
    page.locator("#id_opens").fill("2026-04-14")
    page.locator("#id_closes").fill("2026-04-01")
    page.get_by_role("button", name="Create the wave").click()
    assert page.get_by_text("cannot be before the opening day").is_visible()
    assert_accessible(page)
    page.locator("#id_opens").fill("2026-04-01")
    page.locator("#id_closes").fill("2026-04-30")
    page.get_by_role("button", name="Create the wave").click()
    assert page.get_by_text("Wave “Spring” created").is_visible()
    link = page.locator("#open-link").input_value()
    assert link.endswith("/s/it-pulse/")
    page.get_by_role("button", name="Copy the link").click()
    expect(page.get_by_text("Link copied.")).to_be_visible()  # the clipboard answers asynchronously
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert page.locator("img.qr-code").evaluate("img => img.naturalWidth") > 0
    assert_accessible(page)
    shot(page, "07-wave")

    page.get_by_role("link", name="Printable one-page flyer").click()
    assert page.get_by_text("Open until Thursday 30 April 2026.").is_visible()
    assert_accessible(page)
    shot(page, "08-flyer")
    page.emulate_media(media="print")
    assert not page.locator("header.navbar").is_visible()
    page.emulate_media(media="screen")

    page.goto(f"{live_server.url}/surveys/")
    assert_accessible(page)
    shot(page, "09-list")

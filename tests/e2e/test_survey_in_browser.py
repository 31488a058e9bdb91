"""An employee answers the `it-service` survey on a phone, in headless Chromium."""

import pytest

from surveys import instrument
from surveys.models import Answer, Question, Response, Survey
from tests.e2e.conftest import assert_accessible, screenshot
from tests.factories import make_departments, make_wave

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def it_service():
    """The built-in instrument with an open wave.

    Transactional tests empty the database between tests, so the instrument the
    migration installed is put back here.
    """
    instrument.install(Survey, Question)
    survey = Survey.objects.get(slug=instrument.SLUG)
    make_departments("Finance", "Sales", "Research")
    return survey, make_wave(survey, label="2026 Q4")


def test_answering_on_a_phone_stores_one_response(live_server, phone_page, it_service):
    survey, wave = it_service
    page = phone_page
    page.goto(f"{live_server.url}/s/{survey.slug}/")
    assert page.title().startswith(instrument.TITLE)
    assert_accessible(page)
    screenshot(page, "survey-phone")

    # Tap "4" on every agreement statement, "9" on the 0–10 question, type one comment.
    for fieldset in page.locator("fieldset.question").all():
        labels = fieldset.locator(".scale label")
        labels.nth(3 if labels.count() == 5 else 9).click()
    page.get_by_label(instrument.CHANGE).fill("Tell us before updates restart our laptops.")
    page.get_by_label("Which department do you work in?").select_option(label="Research")
    page.get_by_role("button", name="Send my answers").click()

    page.wait_for_url(f"**/s/{survey.slug}/thanks/")
    assert page.get_by_role("heading", name="Thank you").is_visible()
    assert_accessible(page)
    screenshot(page, "survey-thanks-phone")

    response = Response.objects.get()
    assert response.wave == wave
    assert response.department.name == "Research"
    numbers = Answer.objects.filter(response=response, number__isnull=False)
    assert numbers.count() == 16
    assert Answer.objects.get(response=response, text__startswith="Tell us").text.endswith("laptops.")


def test_error_state_is_accessible_and_keeps_answers(live_server, phone_page, it_service):
    """Skipping the required 0–10 question: a linked error summary, nothing lost, no violations."""
    survey, _ = it_service
    page = phone_page
    page.goto(f"{live_server.url}/s/{survey.slug}/")
    page.locator("fieldset.question").first.locator(".scale label").nth(1).click()
    page.get_by_label(instrument.CHANGE).fill("Faster laptop swaps")
    page.get_by_role("button", name="Send my answers").click()

    summary = page.get_by_role("alert")
    assert "There is a problem with your answers" in summary.inner_text()
    assert_accessible(page)
    screenshot(page, "survey-error-phone")
    # The summary link moves focus to the question at fault.
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.name") == page.locator(
        "fieldset.has-error input"
    ).first.get_attribute("name")
    # What was typed and chosen is still there.
    assert page.get_by_label(instrument.CHANGE).input_value() == "Faster laptop swaps"
    assert page.locator("fieldset.question").first.locator("input:checked").get_attribute("value") == "2"
    assert Response.objects.count() == 0


def test_survey_works_by_keyboard_alone(live_server, desktop_page, it_service):
    """Tab to a scale, choose with the arrow keys, submit with Enter."""
    survey, _ = it_service
    page = desktop_page
    page.goto(f"{live_server.url}/s/{survey.slug}/")
    recommend = page.locator("fieldset.question").nth(15)
    recommend.locator("input").first.focus()
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    assert recommend.locator("input:checked").get_attribute("value") == "8"
    page.get_by_role("button", name="Send my answers").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/thanks/")
    assert Answer.objects.get().number == 8
    screenshot(page, "survey-desktop-thanks")

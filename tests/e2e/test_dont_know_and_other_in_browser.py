"""On a phone: a rating's "don't know" and "other — please say what" are usable by touch
and keyboard, labelled, revealed by the script, and clean under axe-core."""

import shutil
import tempfile
from pathlib import Path

import pytest

from surveys.models import Answer, Choice, Question, Response
from tests.e2e.conftest import SCREENSHOTS, assert_accessible, screenshot
from tests.factories import add_question, make_survey, make_wave

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def survey():
    survey = make_survey(slug="devices", title="Devices", ask_department=False)
    make_wave(survey)
    add_question(
        survey, Question.RATING_5, "My laptop is reliable", required=True, dont_know_label="Don't know"
    )
    device = add_question(survey, Question.SINGLE, "Your main device", choices=["Laptop", "Desktop"])
    Choice.objects.create(question=device, order=9, label="Other", is_other=True)
    return survey


def _keep(name: str) -> None:
    """A copy of the screenshot where the public-page work looks at it."""
    kept = Path(tempfile.gettempdir()) / "shots-public"
    kept.mkdir(exist_ok=True)
    shutil.copy(SCREENSHOTS / f"{name}.png", kept / f"{name}.png")


def test_dont_know_and_other_on_a_phone(live_server, phone_page, survey):
    page = phone_page
    page.goto(f"{live_server.url}/s/{survey.slug}/")
    dont_know = page.get_by_role("radio", name="Don't know")
    assert dont_know.is_visible()
    # The box waits until "Other" is chosen, then shows with its label.
    box = page.get_by_label("Please say what")
    assert not box.is_visible()
    page.get_by_label("Other", exact=True).check()
    assert box.is_visible()
    assert_accessible(page)
    screenshot(page, "survey-dont-know-other-phone")
    _keep("survey-dont-know-other-phone")

    # "Don't know" by keyboard: tab into the scale and arrow to the last option.
    page.get_by_role("radio", name="1").first.focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert dont_know.is_checked()
    box.fill("A <b>tablet</b>")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_url(f"**/s/{survey.slug}/thanks/")

    response = Response.objects.get()
    answers = Answer.objects.filter(response=response)
    assert not answers.filter(number__isnull=False).exists(), "don't know stores no number"
    assert answers.get().text == "A <b>tablet</b>"


def test_other_words_come_back_after_an_error(live_server, phone_page, survey):
    """Words typed for "other" without choosing it come back, visible, with the message."""
    page = phone_page
    page.goto(f"{live_server.url}/s/{survey.slug}/")
    page.get_by_label("Laptop").check()
    page.get_by_label("Other", exact=True).check()
    page.get_by_label("Please say what").fill("A tablet")
    page.get_by_label("Laptop").check()  # changed their mind, words left in the box
    page.get_by_text("Don't know", exact=True).click()  # a tap on the button-like label
    page.get_by_role("button", name="Send my answers").click()
    summary = page.get_by_role("alert")
    assert "also choose “Other”" in summary.inner_text()
    assert page.get_by_label("Please say what").input_value() == "A tablet"
    assert page.get_by_label("Please say what").is_visible()
    assert_accessible(page)
    screenshot(page, "survey-other-error-phone")
    _keep("survey-other-error-phone")
    assert Response.objects.count() == 0

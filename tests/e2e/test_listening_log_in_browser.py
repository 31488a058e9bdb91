"""The listening log in headless Chromium: quick capture on a phone, and accessibility audits."""

import pytest

from conversations.models import Note, Person
from perception.models import Theme
from surveys.models import Question
from tests.e2e.conftest import assert_accessible, screenshot, sign_in
from tests.factories import (
    add_question,
    add_response,
    make_conversation,
    make_departments,
    make_survey,
    make_user,
    make_wave,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def log():
    """A listener, departments, people, themes, one conversation with a note and comments to code."""
    make_user("listener", "Listeners")
    finance, sales = make_departments("Finance", "Sales")
    priya = Person.objects.create(name="Priya Shah", department=finance, is_influencer=True)
    Person.objects.create(name="Tom Becker", department=sales)
    wifi = Theme.objects.create(name="Wi-Fi in meeting rooms")
    Theme.objects.create(name="Slow ticket resolution")
    conversation = make_conversation("one_on_one", departments=[finance], people=[priya], summary="Catch-up")
    Note.objects.create(conversation=conversation, text="Wi-Fi drops in room 2", person=priya).themes.add(
        wifi
    )
    survey = make_survey()
    question = add_question(survey, Question.TEXT, text="What one thing should IT change?")
    wave = make_wave(survey, label="2026 Q4")
    for index in range(5):
        add_response(wave, {question: f"Please answer tickets faster ({index})"})
    return conversation


def test_quick_capture_on_a_phone_saves_a_note(live_server, phone_page, log):
    page = phone_page
    sign_in(page, live_server, "listener")
    page.goto(f"{live_server.url}/capture/")
    assert_accessible(page)
    page.get_by_label("Where are you?").select_option(label="Sales")
    page.get_by_label("What did you hear?").fill("Printer in the sales corner jams every morning")
    page.get_by_label("Or add a new theme").fill("Printers")
    page.get_by_label("Negative").check()
    screenshot(page, "quick-capture-phone-filled")
    page.get_by_role("button", name="Save note").click()
    page.wait_for_url(f"{live_server.url}/capture/")
    assert page.get_by_text("Note saved. Ready for the next one.").is_visible()
    screenshot(page, "quick-capture-phone-saved")
    note = Note.objects.get(text__startswith="Printer")
    assert note.conversation.kind == "walkabout" and note.sentiment == -1
    assert [t.name for t in note.themes.all()] == ["Printers"]


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/conversations/", "conversation-list"),
        ("/conversations/new/", "conversation-form"),
        ("/capture/", "quick-capture"),
        ("/coding/", "coding-queue"),
        ("/coding/several/", "coding-several"),
        ("/coverage/", "coverage"),
    ],
)
def test_listening_pages_have_no_accessibility_violations(live_server, desktop_page, log, path, name):
    page = desktop_page
    sign_in(page, live_server, "listener")
    page.goto(f"{live_server.url}{path}")
    assert page.locator("h1").count() == 1
    screenshot(page, f"{name}-desktop")
    assert_accessible(page)


def test_conversation_form_error_state_is_accessible(live_server, desktop_page, log):
    page = desktop_page
    sign_in(page, live_server, "listener")
    page.goto(f"{live_server.url}/conversations/{log.pk}/")
    page.get_by_role("button", name="Add note").click()
    assert page.get_by_text("Write what you heard; an empty note cannot be saved.").is_visible()
    screenshot(page, "conversation-note-error")
    assert_accessible(page)


def test_a_walkabout_note_takes_at_most_six_taps_and_one_text_field(live_server, phone_page, log):
    """From any page on a phone: Quick note, where (two taps on the list), what was said,
    Save. Every tap is counted; typing is the one text field."""
    page = phone_page
    sign_in(page, live_server, "listener")
    taps = 0

    def tap(locator):
        nonlocal taps
        locator.tap()
        taps += 1

    tap(page.get_by_role("link", name="Quick note"))
    page.wait_for_url(f"{live_server.url}/capture/")
    where = page.get_by_label("Where are you?")
    tap(where)
    where.select_option(label="Finance")
    taps += 1  # choosing from the opened list is the second tap
    heard = page.get_by_label("What did you hear?")
    tap(heard)
    heard.type("Can't find the VPN guide")
    tap(page.get_by_role("button", name="Save note"))
    page.wait_for_url(f"{live_server.url}/capture/")
    page.get_by_text("Note saved. Ready for the next one.").wait_for()
    screenshot(page, "quick-capture-taps-saved")
    assert taps <= 6, f"{taps} taps"
    assert Note.objects.filter(text="Can't find the VPN guide").exists()
    text_fields = page.locator("main input[type=text], main textarea").count()
    assert page.locator("main textarea").count() == 1 and text_fields == 2, "one text, one optional"

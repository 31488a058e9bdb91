"""Themes from notes and survey comments are counted by distinct voices (DESIGN rule 6)."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from conversations.models import Note, Person
from perception.models import Theme
from surveys.models import Question, Wave
from tests.factories import add_question, add_response, make_conversation, make_survey, make_wave

pytestmark = pytest.mark.django_db


def themes() -> dict[str, dict]:
    out = StringIO()
    call_command("trends", "--survey", "pulse", "--json", stdout=out)
    return {entry["theme"]: entry for entry in json.loads(out.getvalue())["themes"]}


@pytest.fixture
def survey():
    """A survey whose one shown wave spans the last six weeks, so notes of that time count
    beside it (themes are counted within the waves shown)."""
    survey = make_survey(slug="pulse")
    rating = add_question(survey, Question.RATING_5)
    now = timezone.now()
    wave = Wave.objects.create(
        survey=survey, label="fieldwork", opens=now - timedelta(days=42), closes=now + timedelta(days=7)
    )
    for value in range(5):
        add_response(wave, {rating: 1 + value})
    return survey


def test_one_loud_person_repeating_a_theme_is_a_single_voice(survey):
    printers = Theme.objects.create(name="Printers")
    derek = Person.objects.create(name="Derek")
    for index in range(20):
        conversation = make_conversation("walkabout", days_ago=index)
        Note.objects.create(conversation=conversation, text="printer", person=derek, sentiment=-1).themes.add(
            printers
        )
    entry = themes()["Printers"]
    assert (entry["status"], entry["voices"], entry["mentions"], entry["top_voice_share"]) == (
        "single_voice",
        1,
        20,
        1.0,
    )
    assert entry["robust"] is False
    assert entry["sentiment"] == -1.0


def test_five_people_in_two_conversations_across_channels_is_a_trend(survey):
    slow = Theme.objects.create(name="Slow tickets")
    focus, walk = make_conversation("focus_group"), make_conversation("walkabout")
    for index in range(5):
        person = Person.objects.create(name=f"Person {index}")
        Note.objects.create(conversation=focus if index < 3 else walk, text="slow", person=person).themes.add(
            slow
        )
    entry = themes()["Slow tickets"]
    assert (entry["status"], entry["voices"], entry["sources"]) == ("trend", 5, 2)
    assert entry["channels"] == ["focus_group", "walkabout"]
    assert entry["robust"] is True


def test_unattributed_notes_count_one_voice_per_conversation(survey):
    wifi = Theme.objects.create(name="Wi-Fi")
    group = make_conversation("focus_group", unnamed_participants=8)
    for _ in range(3):
        Note.objects.create(conversation=group, text="wifi").themes.add(wifi)
    entry = themes()["Wi-Fi"]
    assert (entry["voices"], entry["mentions"], entry["status"]) == (1, 3, "single_voice")
    assert entry["unlinked_voices"] == 1, "an unattributed note cannot be linked to a person"


def test_notes_outside_the_waves_shown_are_not_counted_beside_the_survey(survey):
    printers = Theme.objects.create(name="Printers")
    old = make_conversation("walkabout", days_ago=400)
    Note.objects.create(conversation=old, text="printer", person=Person.objects.create(name="A")).themes.add(
        printers
    )
    assert "Printers" not in themes()


def test_survey_comments_and_notes_share_one_codebook(survey):
    vpn = Theme.objects.create(name="VPN")
    question = add_question(survey, Question.TEXT)
    wave = make_wave(survey)
    for index in range(5):
        add_response(wave, {question: f"vpn {index}"}).answers.get().themes.add(vpn)
    Note.objects.create(conversation=make_conversation("one_on_one"), text="vpn", sentiment=-1).themes.add(
        vpn
    )
    entry = themes()["VPN"]
    assert entry["voices"] == 6 and entry["sources"] == 2  # the survey and the conversation
    assert entry["channels"] == ["one_on_one", "survey"]

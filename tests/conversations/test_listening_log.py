"""Logging what IT hears: notes, quick capture, coding comments, coverage and actions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations.models import Action, Conversation, Note, Person
from perception.models import Theme
from surveys.models import Answer, Question
from tests.factories import (
    add_question,
    add_response,
    make_conversation,
    make_departments,
    make_survey,
    make_user,
    make_wave,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(client):
    user = make_user("listener", "Listeners")
    client.force_login(user)
    return user


def test_a_note_is_added_with_themes_and_a_new_theme(client, listener):
    conversation = make_conversation()
    person = Person.objects.create(name="Ana")
    wifi = Theme.objects.create(name="Wi-Fi")
    page = client.post(
        reverse("conversations:note_add", args=[conversation.pk]),
        {
            "text": "Wi-Fi drops",
            "person": person.pk,
            "themes": [wifi.pk],
            "new_theme": "Meeting rooms",
            "sentiment": "-1",
        },
    )
    assert page.status_code == 302
    note = Note.objects.get()
    assert sorted(t.name for t in note.themes.all()) == ["Meeting rooms", "Wi-Fi"]
    assert note.sentiment == -1 and note.person == person
    assert person in conversation.participants.all()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "   "}, "Write what you heard; an empty note cannot be saved."),
        ({"text": "ok", "person": "999999"}, "That person is not in the list"),
        ({"text": "ok", "new_theme": "wi-fi"}, "A theme called “Wi-Fi” already exists"),
        ({"text": "ok", "themes": ["999999"]}, "Choose themes from the codebook."),
    ],
)
def test_bad_notes_are_refused_with_a_message_and_nothing_changes(client, listener, data, message):
    conversation = make_conversation()
    Theme.objects.create(name="Wi-Fi")
    page = client.post(reverse("conversations:note_add", args=[conversation.pk]), {"sentiment": "0", **data})
    assert page.status_code == 400
    assert message in page.content.decode()
    assert Note.objects.count() == 0
    assert Theme.objects.count() == 1


def test_a_conversation_dated_in_the_future_is_refused(client, listener):
    tomorrow = timezone.localdate() + timedelta(days=1)
    page = client.post(
        reverse("conversations:conversation_new"),
        {
            "kind": "focus_group",
            "date": tomorrow.isoformat(),
            "unnamed_participants": "0",
            "summary": "Planning",
        },
    )
    assert page.status_code == 400
    assert "The date cannot be in the future." in page.content.decode()
    assert "Planning</textarea>" in page.content.decode()  # what was typed is kept
    assert Conversation.objects.count() == 0


def test_a_conversation_is_logged(client, listener):
    (finance,) = make_departments("Finance")
    person = Person.objects.create(name="Priya")
    page = client.post(
        reverse("conversations:conversation_new"),
        {
            "kind": "one_on_one",
            "date": timezone.localdate().isoformat(),
            "facilitator": listener.pk,
            "departments": [finance.pk],
            "participants": [person.pk],
            "unnamed_participants": "0",
            "summary": "Monthly catch-up",
        },
    )
    conversation = Conversation.objects.get()
    assert page["Location"] == reverse("conversations:conversation", args=[conversation.pk])
    assert list(conversation.participants.all()) == [person]


def test_quick_capture_saves_a_walkabout_note_and_remembers_the_department(client, listener):
    (sales,) = make_departments("Sales")
    page = client.post(
        reverse("conversations:capture"),
        {
            "department": sales.pk,
            "text": "VPN slow at the client site",
            "new_theme": "VPN",
            "sentiment": "-1",
        },
    )
    assert page.status_code == 302
    note = Note.objects.select_related("conversation").get()
    assert note.conversation.kind == Conversation.WALKABOUT
    assert list(note.conversation.departments.all()) == [sales]
    assert note.conversation.facilitator == listener
    assert [t.name for t in note.themes.all()] == ["VPN"]
    again = client.get(reverse("conversations:capture"))
    assert f'<option value="{sales.pk}" selected>' in again.content.decode()


def test_quick_capture_needs_a_department_and_text(client, listener):
    page = client.post(reverse("conversations:capture"), {"text": "", "sentiment": "0"})
    assert page.status_code == 400
    body = page.content.decode()
    assert "Choose the department you are walking around." in body
    assert "Write what you heard" in body
    assert Note.objects.count() == 0


@pytest.fixture
def comments():
    survey = make_survey()
    text = add_question(survey, Question.TEXT, text="What one thing should IT change?")
    big, small = make_wave(survey, label="Big"), make_wave(survey, "closed", label="Small")
    (finance,) = make_departments("Finance")
    for i in range(5):
        add_response(big, {text: f"Comment {i} from a person in Finance"}, department=finance)
    add_response(small, {text: "Lonely comment"})
    return big


def test_coding_queue_shows_the_comment_and_wave_never_department_or_identity(client, listener, comments):
    page = client.get(reverse("surveys:coding"))
    body = page.content.decode()
    assert "Comment 0 from a person in Finance" in body
    assert "Big" in body
    assert "5 comments waiting" in body
    first = Answer.objects.filter(response__wave=comments).order_by("id").first()
    assert first.response.respondent_key not in body
    assert ">Finance<" not in body and "department" not in body.lower().split("<main")[1]
    assert "Lonely comment" not in body  # its wave is smaller than the minimum group size


def test_coding_done_and_skip_take_comments_off_the_queue(client, listener, comments):
    wifi = Theme.objects.create(name="Wi-Fi")
    first = Answer.objects.filter(response__wave=comments).order_by("id").first()
    client.post(reverse("surveys:coding"), {"answer": first.pk, "action": "done", "themes": [wifi.pk]})
    assert list(first.themes.all()) == [wifi]
    second = (
        Answer.objects.filter(reviewed_at__isnull=True).exclude(text="Lonely comment").order_by("id").first()
    )
    client.post(reverse("surveys:coding"), {"answer": second.pk, "action": "skip"})
    second.refresh_from_db()
    assert second.reviewed_at is not None and second.themes.count() == 0
    assert "3 comments waiting" in client.get(reverse("surveys:coding")).content.decode()


def test_coverage_flags_departments_and_influencers_not_heard_recently(client, listener):
    heard, silent = make_departments("Finance", "Legal")
    recent = Person.objects.create(name="Priya", is_influencer=True)
    quiet = Person.objects.create(name="Tom", is_influencer=True)
    make_conversation(days_ago=10, departments=[heard], people=[recent])
    make_conversation(days_ago=120, departments=[silent], people=[quiet])
    page = client.get(reverse("reports:coverage"))
    rows = {row.name: row for row in page.context["departments"]}
    assert not rows["Finance"].overdue and rows["Legal"].overdue
    people = {row.name: row for row in page.context["influencers"]}
    assert not people["Priya"].overdue and people["Tom"].overdue
    assert people["Tom"].last_heard == timezone.localdate() - timedelta(days=120)


def test_a_survey_wave_counts_as_hearing_from_a_department_once_its_figures_show_it(client, listener):
    """Coverage counts whole waves whose published figures show the department, dated by
    the wave, never by one person's answer; k − 1 people are not "heard"."""
    finance, hr = make_departments("Finance", "HR")
    for slug, department, people in (("pulse", finance, None), ("other", hr, -1)):
        survey = make_survey(slug=slug)
        question = add_question(survey, Question.RATING_5)
        wave = make_wave(survey, "closed")
        for _ in range(survey.group_threshold() + (people or 0)):
            add_response(wave, {question: 4}, department=department)
    page = client.get(reverse("reports:coverage"))
    heard = {row.name: row for row in page.context["departments"]}
    assert not heard["Finance"].overdue
    assert heard["Finance"].last_heard == wave.closes.date()
    assert heard["HR"].last_heard is None, "k - 1 people: too few to say they answered"


def test_theme_page_lists_the_people_who_raised_it(client, listener):
    theme = Theme.objects.create(name="Printers")
    derek, ana = (
        Person.objects.create(name="Derek", email="derek@example.org"),
        Person.objects.create(name="Ana"),
    )
    conversation = make_conversation()
    for person in (derek, derek, ana):
        Note.objects.create(conversation=conversation, text="printer", person=person).themes.add(theme)
    page = client.get(reverse("conversations:theme", args=[theme.pk]))
    assert [p.name for p in page.context["raised_by"]] == ["Derek", "Ana"]
    assert "derek@example.org" in page.content.decode()


def test_action_records_done_and_told_dates(client, listener):
    theme = Theme.objects.create(name="Printers")
    page = client.post(
        reverse("conversations:action_new"),
        {
            "title": "Replace the printer",
            "themes": [theme.pk],
            "status": "done",
            "told_on": timezone.localdate().isoformat(),
        },
    )
    assert page.status_code == 302
    action = Action.objects.get()
    assert action.done_on == timezone.localdate() and action.told_on == timezone.localdate()


def test_people_can_be_searched_and_filtered(client, listener):
    finance, sales = make_departments("Finance", "Sales")
    Person.objects.create(name="Priya Shah", department=finance, is_influencer=True, influence="high")
    Person.objects.create(name="Tom Becker", department=sales)
    names = lambda url: [p.name for p in client.get(url).context["page"]]  # noqa: E731
    assert names(reverse("conversations:people") + "?q=shah") == ["Priya Shah"]
    assert names(reverse("conversations:people") + f"?department={sales.pk}") == ["Tom Becker"]
    assert names(reverse("conversations:people") + "?influencers=1") == ["Priya Shah"]


def test_comments_already_coded_elsewhere_are_not_queued(client, listener, comments):
    """A comment that carries a theme (coded before, or imported coded) is not asked again."""
    coded = Answer.objects.filter(response__wave=comments).order_by("id").first()
    coded.themes.add(Theme.objects.create(name="Wi-Fi"))
    page = client.get(reverse("surveys:coding"))
    assert "4 comments waiting" in page.content.decode()
    assert page.context["answer"] != coded

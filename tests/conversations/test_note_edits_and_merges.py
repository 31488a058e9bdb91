"""Listening-log edits: a changed or deleted note leaves who and when in the
conversation's history; a merge is confirmed with what will move, and can be undone."""

import pytest
from django.urls import reverse

from conversations.models import Action, Note, NoteEvent, ThemeMerge
from perception.models import Theme
from tests.factories import make_conversation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(client):
    user = make_user("lee", "Listeners")
    client.force_login(user)
    return user


@pytest.fixture
def note():
    conversation = make_conversation("one_on_one")
    note = Note.objects.create(conversation=conversation, text="Wi-Fi drops in room 2")
    note.themes.add(Theme.objects.create(name="Wi-Fi"))
    return note


def test_editing_a_note_keeps_the_words_before_with_who_and_when(client, listener, note):
    url = reverse("conversations:note_edit", args=[note.conversation_id, note.pk])
    assert "Wi-Fi drops in room 2" in client.get(url).content.decode()
    answer = client.post(url, {"text": "Wi-Fi drops in rooms 2 and 3", "sentiment": "-1"})
    assert answer.status_code == 302
    note.refresh_from_db()
    assert (note.text, note.sentiment) == ("Wi-Fi drops in rooms 2 and 3", -1)
    event = NoteEvent.objects.get()
    assert (event.kind, event.text_before, event.by, event.note) == (
        "edited",
        "Wi-Fi drops in room 2",
        listener,
        note,
    )
    page = client.get(reverse("conversations:conversation", args=[note.conversation_id])).content.decode()
    assert "History of changes" in page and "edited by lee" in page and "Wi-Fi drops in room 2" in page


def test_an_empty_edit_is_refused_and_changes_nothing(client, listener, note):
    url = reverse("conversations:note_edit", args=[note.conversation_id, note.pk])
    assert client.post(url, {"text": "", "sentiment": "0"}).status_code == 400
    assert NoteEvent.objects.count() == 0


def test_deleting_a_note_asks_first_then_keeps_its_words_in_the_history(client, listener, note):
    url = reverse("conversations:note_delete", args=[note.conversation_id, note.pk])
    assert "Delete this note?" in client.get(url).content.decode()
    assert Note.objects.count() == 1, "a GET deletes nothing"
    client.post(url)
    assert Note.objects.count() == 0
    event = NoteEvent.objects.get()
    assert (event.kind, event.text_before, event.by, event.note) == (
        "deleted",
        "Wi-Fi drops in room 2",
        listener,
        None,
    )
    page = client.get(reverse("conversations:conversation", args=[event.conversation_id])).content.decode()
    assert "deleted by lee" in page


def test_a_note_is_edited_only_through_its_own_conversation(client, listener, note):
    other = make_conversation()
    assert client.get(reverse("conversations:note_edit", args=[other.pk, note.pk])).status_code == 404


def test_viewers_cannot_edit_or_delete_notes(client, note):
    client.force_login(make_user("vic", "Viewers"))
    assert (
        client.post(reverse("conversations:note_delete", args=[note.conversation_id, note.pk])).status_code
        == 403
    )
    assert Note.objects.count() == 1


@pytest.fixture
def two_themes(note):
    wifi = Theme.objects.get(name="Wi-Fi")
    network = Theme.objects.create(name="Network", description="Anything about the network")
    both = Note.objects.create(conversation=note.conversation, text="Network and Wi-Fi both slow")
    both.themes.add(wifi, network)
    Action.objects.create(title="New access points").themes.add(wifi)
    Theme.objects.create(name="Guest Wi-Fi", parent=wifi)
    return wifi, network


def test_a_merge_shows_what_will_move_and_changes_nothing_until_confirmed(client, listener, two_themes):
    wifi, network = two_themes
    page = client.get(reverse("conversations:theme_merge"), {"source": wifi.pk, "target": network.pk})
    text = page.content.decode()
    assert "2 notes from the listening log" in text
    assert "0 survey comments" in text and "1 follow-up action<" in text and "1 sub-theme<" in text
    assert Theme.objects.filter(name="Wi-Fi").exists()
    unconfirmed = client.post(reverse("conversations:theme_merge"), {"source": wifi.pk, "target": network.pk})
    assert unconfirmed.status_code == 200 and Theme.objects.filter(name="Wi-Fi").exists()
    client.post(
        reverse("conversations:theme_merge"), {"source": wifi.pk, "target": network.pk, "confirm": "1"}
    )
    assert not Theme.objects.filter(name="Wi-Fi").exists()
    assert Note.objects.filter(themes=network).count() == 2


def test_undo_puts_the_last_merge_back_exactly(client, listener, two_themes):
    wifi, network = two_themes
    before = {
        "notes": sorted(Note.objects.filter(themes=wifi).values_list("pk", flat=True)),
        "network_notes": sorted(Note.objects.filter(themes=network).values_list("pk", flat=True)),
        "actions": sorted(Action.objects.filter(themes=wifi).values_list("pk", flat=True)),
    }
    client.post(
        reverse("conversations:theme_merge"), {"source": wifi.pk, "target": network.pk, "confirm": "1"}
    )
    merge = ThemeMerge.objects.get()
    assert "Undo this merge" in client.get(reverse("conversations:themes")).content.decode()
    assert client.get(reverse("conversations:theme_merge_undo", args=[merge.pk])).status_code == 405
    client.post(reverse("conversations:theme_merge_undo", args=[merge.pk]))
    back = Theme.objects.get(name="Wi-Fi")
    assert sorted(Note.objects.filter(themes=back).values_list("pk", flat=True)) == before["notes"]
    assert sorted(Note.objects.filter(themes=network).values_list("pk", flat=True)) == before["network_notes"]
    assert sorted(Action.objects.filter(themes=back).values_list("pk", flat=True)) == before["actions"]
    assert Theme.objects.get(name="Guest Wi-Fi").parent == back
    network.refresh_from_db()
    assert network.description == "Anything about the network"
    answer = client.post(reverse("conversations:theme_merge_undo", args=[merge.pk]), follow=True)
    assert "Only the latest merge can be undone." in answer.content.decode(), "undone once only"


def test_the_codebook_and_dashboard_theme_pages_are_named_apart(client, listener, note):
    """Two different pages show a theme: the codebook entry and the dashboard's drill-down."""
    theme = note.themes.get()
    codebook = client.get(reverse("conversations:theme", args=[theme.pk])).content.decode()
    assert "<title>Codebook theme: Wi-Fi" in codebook
    assert "Codebook: every theme" in client.get(reverse("conversations:themes")).content.decode()

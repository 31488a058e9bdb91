"""A person can be erased from the listening log: their notes kept unattributed or deleted,
and the record of the erasure does not name them."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from conversations import services
from conversations.models import Conversation, Erasure, Note, Person
from perception.models import Theme
from tests.factories import make_conversation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(client):
    user = make_user("listener", "Listeners")
    client.force_login(user)
    return user


@pytest.fixture
def ana():
    """Ana, with two notes (one coded) in a conversation she took part in, and a note by someone else."""
    person = Person.objects.create(name="Ana Kowalczyk", email="ana@example.org", role="Payroll lead")
    conversation = make_conversation(people=[person])
    wifi = Theme.objects.create(name="Wi-Fi")
    services.note_add(conversation=conversation, text="Wi-Fi drops", person=person, themes=[wifi])
    services.note_add(conversation=conversation, text="Printer jams", person=person)
    services.note_add(conversation=conversation, text="Someone else's words")
    return person


def everything_stored() -> str:
    rows = []
    for model in (Person, Conversation, Note, Erasure, LogEntry):
        rows += [str(row) for row in model.objects.values_list()]
    return " ".join(rows)


def test_erasing_and_keeping_notes_leaves_them_unattributed_and_no_name_anywhere(client, listener, ana):
    page = client.post(reverse("conversations:person_erase", args=[ana.pk]), {"notes": "keep"})
    assert page.status_code == 302
    assert not Person.objects.filter(pk=ana.pk).exists()
    assert Note.objects.count() == 3
    assert Note.objects.filter(person__isnull=False).count() == 0
    assert Note.objects.get(text="Wi-Fi drops").themes.get().name == "Wi-Fi"
    # She still counts as a voice in the conversation, now unnamed.
    assert Conversation.objects.get().unnamed_participants == 1
    erasure = Erasure.objects.get()
    assert (erasure.notes_kept, erasure.notes_deleted, erasure.erased_by) == (2, 0, listener)
    stored = everything_stored()
    for trace in ("Ana", "Kowalczyk", "ana@example.org", "Payroll lead"):
        assert trace not in stored


def test_erasing_and_deleting_notes_removes_her_notes_only(client, listener, ana):
    client.post(reverse("conversations:person_erase", args=[ana.pk]), {"notes": "delete"})
    assert list(Note.objects.values_list("text", flat=True)) == ["Someone else's words"]
    assert Conversation.objects.get().unnamed_participants == 0
    erasure = Erasure.objects.get()
    assert (erasure.notes_kept, erasure.notes_deleted) == (0, 2)
    assert "Ana" not in everything_stored()


def test_the_admin_history_that_named_her_goes_too(ana):
    LogEntry.objects.create(
        user=make_user("admin"),
        content_type=ContentType.objects.get_for_model(Person),
        object_id=str(ana.pk),
        object_repr=str(ana),
        action_flag=CHANGE,
    )
    services.person_erase(person=ana, keep_notes=True)
    assert "Ana" not in everything_stored()


def test_the_confirmation_page_changes_nothing_until_posted(client, listener, ana):
    page = client.get(reverse("conversations:person_erase", args=[ana.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<legend" in html and 'value="keep"' in html and 'value="delete"' in html
    assert Person.objects.filter(pk=ana.pk).exists()


def test_posting_without_a_choice_erases_nothing(client, listener, ana):
    page = client.post(reverse("conversations:person_erase", args=[ana.pk]), {})
    assert page.status_code == 400
    assert "Choose whether to keep or delete their notes." in page.content.decode()
    assert Person.objects.filter(pk=ana.pk).exists()
    assert not Erasure.objects.exists()


def test_the_edit_page_leads_to_the_erasure_page(client, listener, ana):
    html = client.get(reverse("conversations:person_edit", args=[ana.pk])).content.decode()
    assert reverse("conversations:person_erase", args=[ana.pk]) in html


def test_a_viewer_cannot_erase(client, ana):
    client.force_login(make_user("viewer", "Viewers"))
    url = reverse("conversations:person_erase", args=[ana.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"notes": "delete"}).status_code == 403
    assert Person.objects.filter(pk=ana.pk).exists()

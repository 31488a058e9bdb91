"""One shared codebook: rename, merge without losing codings, import and export as CSV."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conversations import services
from conversations.models import Action, Note
from perception.models import Theme
from surveys.models import Answer, Question
from tests.factories import add_question, add_response, make_conversation, make_survey, make_user, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener(client):
    client.force_login(make_user("listener", "Listeners"))


def codings(theme_names: list[str]) -> dict[str, int]:
    """How many answers, notes and actions carry any of these themes."""
    return {
        "answers": Answer.objects.filter(themes__name__in=theme_names).distinct().count(),
        "notes": Note.objects.filter(themes__name__in=theme_names).distinct().count(),
        "actions": Action.objects.filter(themes__name__in=theme_names).distinct().count(),
    }


def test_merging_two_themes_keeps_every_coding(client, listener):
    wifi, wireless, printers = (Theme.objects.create(name=n) for n in ("Wi-Fi", "Wireless", "Printers"))
    child = Theme.objects.create(name="Meeting-room Wi-Fi", parent=wireless)
    survey = make_survey()
    question = add_question(survey, Question.TEXT)
    wave = make_wave(survey)
    conversation = make_conversation()
    for index in range(4):
        answer = add_response(wave, {question: f"comment {index}"}).answers.get()
        answer.themes.add(wifi if index % 2 else wireless)
        note = Note.objects.create(conversation=conversation, text=f"note {index}")
        note.themes.add(wireless)
        if index == 0:
            note.themes.add(wifi)  # coded with both: must end up coded once
    Action.objects.create(title="New access points").themes.add(wireless, printers)
    before = codings(["Wi-Fi", "Wireless"])
    page = client.post(
        reverse("conversations:theme_merge"), {"source": wireless.pk, "target": wifi.pk, "confirm": "1"}
    )
    assert page.status_code == 302
    assert not Theme.objects.filter(name="Wireless").exists()
    assert codings(["Wi-Fi"]) == before == {"answers": 4, "notes": 4, "actions": 1}
    child.refresh_from_db()
    assert child.parent == wifi
    assert Note.themes.through.objects.filter(theme=wifi).count() == 4  # no duplicate coding


def test_merging_a_theme_into_itself_is_refused(client, listener):
    wifi = Theme.objects.create(name="Wi-Fi")
    page = client.post(
        reverse("conversations:theme_merge"), {"source": wifi.pk, "target": wifi.pk}, follow=True
    )
    assert "Choose two different themes." in page.content.decode()
    assert Theme.objects.filter(pk=wifi.pk).exists()


def test_a_duplicate_theme_name_is_refused_whatever_its_case(client, listener):
    Theme.objects.create(name="Wi-Fi")
    page = client.post(reverse("conversations:theme_new"), {"name": "  wi-fi ", "description": "dup"})
    assert page.status_code == 400
    assert "A theme called “Wi-Fi” already exists" in page.content.decode()
    assert Theme.objects.count() == 1


def test_renaming_a_theme_keeps_its_codings(client, listener):
    theme = Theme.objects.create(name="Wifi")
    Note.objects.create(conversation=make_conversation(), text="drops").themes.add(theme)
    client.post(reverse("conversations:theme_edit", args=[theme.pk]), {"name": "Wi-Fi", "description": ""})
    theme.refresh_from_db()
    assert theme.name == "Wi-Fi" and theme.notes.count() == 1


def upload(client, text: str):
    return client.post(
        reverse("conversations:codebook_import"),
        {"file": SimpleUploadedFile("codebook.csv", text.encode(), content_type="text/csv")},
    )


def test_codebook_import_creates_and_updates_themes_with_parents(client, listener):
    Theme.objects.create(name="Network", description="old")
    page = upload(
        client, "name,description,parent\nnetwork,Connectivity,\nWi-Fi,Wireless,Network\nVPN,,Network\n"
    )
    assert page.status_code == 302
    assert Theme.objects.get(name="Network").description == "Connectivity"
    assert Theme.objects.get(name="Wi-Fi").parent.name == "Network"
    assert Theme.objects.count() == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,description\nWi-Fi,x\n", "missing: parent"),
        ("title\nWi-Fi\n", "missing: name, description, parent"),
        ("name,description,parent\nWi-Fi,x,\n,y,\n", "Row 3, column name: a theme needs a name."),
        (
            "name,description,parent\nWi-Fi,x,\nwi-fi,y,\n",
            "Row 3, column name: &#x27;wi-fi&#x27; is already on row 2.",
        ),
        (
            "name,description,parent\nWi-Fi,x,Nowhere\n",
            "Row 2, column parent: no theme called &#x27;Nowhere&#x27;.",
        ),
        ("", "The submitted file is empty."),
        (
            "name,description,parent\nWi-Fi,x,\nVPN,tun\x00nel,\n",
            "Row 3, column &#x27;description&#x27;: a NUL character",
        ),
        (
            "name,description,parent\nWi-Fi,x,Network\nNetwork,y,Office\nOffice,z,Wi-Fi\n",
            "Row 2, column parent: the parents form a cycle (wi-fi → network → office → wi-fi).",
        ),
        ('name,description,parent\nWi-Fi,x,\nVPN,"never closed,\nLost,y,\n', "Row 3: a quote opened"),
        (",".join(f"c{i}" for i in range(3000)) + "\n", "Row 1: 3,000 columns; at most 2,000"),
    ],
)
def test_a_bad_codebook_file_is_refused_whole(client, listener, text, message):
    Theme.objects.create(name="Printers", description="kept")
    page = upload(client, text)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert list(Theme.objects.values_list("name", "description")) == [("Printers", "kept")]


def test_a_codebook_that_closes_a_cycle_with_an_existing_theme_is_refused(client, listener):
    """Printers is already under Devices; the file puts Devices under Printers."""
    devices = Theme.objects.create(name="Devices")
    Theme.objects.create(name="Printers", parent=devices)
    page = upload(client, "name,description,parent\nDevices,all of them,Printers\n")
    assert page.status_code == 400
    assert "the parents form a cycle (devices → printers → devices)" in page.content.decode()
    assert Theme.objects.get(name="Devices").parent is None


def test_codebook_export_round_trips_and_neutralises_formulas(client, listener):
    network = Theme.objects.create(name="Network")
    Theme.objects.create(name='=HYPERLINK("http://x","y")', description="+1", parent=network)
    page = client.get(reverse("conversations:codebook_export"))
    assert page["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(page.content.decode())))
    assert rows[0] == ["name", "description", "parent"]
    assert ['\'=HYPERLINK("http://x","y")', "'+1", "Network"] in rows
    Theme.objects.all().delete()
    services.codebook_import(page.content)
    assert Theme.objects.count() == 2

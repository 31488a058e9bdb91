"""The respondent's pages and the invitation email in the survey's language, with a
switcher whose choice lives only in the link."""

import gettext
import html
import re
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from surveys.models import Question, Response
from tests.factories import add_question, make_departments, make_survey, make_wave

pytestmark = pytest.mark.django_db
LOCALE = Path(__file__).resolve().parents[2] / "locale"


def catalogue(language: str) -> dict[str, str]:
    """Every English text the catalogue translates differently: msgid -> translation."""
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as compiled:
        entries = gettext.GNUTranslations(compiled)._catalog
    return {
        (key if isinstance(key, str) else key[0]): value
        for key, value in entries.items()
        if key and (key if isinstance(key, str) else key[0]) and value != key
    }


def english_left(page: str, language: str) -> list[str]:
    """Catalogue texts that still show in English: each piece between placeholders, long
    enough to be a phrase rather than a word both languages share."""
    shown = html.unescape(page)
    left = []
    for msgid in catalogue(language):
        pieces = [p.strip(" .,:;?()") for p in re.split(r"%\(\w+\)[sd]", msgid)]
        if any(len(piece) >= 6 and piece in shown for piece in pieces):
            left.append(msgid)
    return left


@pytest.fixture
def spanish(db):
    make_departments("Finanzas", "Ventas")
    survey = make_survey(slug="encuesta", title="¿Qué tal lo hace Informática?", language="es")
    wave = make_wave(survey)
    rating = add_question(survey, Question.RATING_5, text="Me ayudan con rapidez", required=True)
    comment = add_question(survey, Question.TEXT, text="¿Qué deberíamos cambiar?")
    return survey, wave, rating, comment


def test_a_spanish_survey_shows_no_english_from_the_catalogue(client, spanish):
    """The form, its error state and the thank-you page, checked against every catalogue entry."""
    _, _, rating, _ = spanish
    page = client.get("/s/encuesta/")
    assert page["Content-Language"] == "es"
    assert '<html lang="es">' in page.content.decode()
    assert "Enviar mis respuestas" in page.content.decode()
    assert "Totalmente de acuerdo" in page.content.decode(), "the agreement scale speaks Spanish too"
    assert english_left(page.content.decode(), "es") == []
    english = client.get("/s/encuesta/?lang=en").content.decode()
    assert "Send my answers" in english_left(english, "es"), "the check finds English when it is there"
    errors = client.post("/s/encuesta/", {})
    assert errors.status_code == 400
    assert "Hay un problema con sus respuestas" in errors.content.decode()
    assert "Elija un número del 1 al 5." in errors.content.decode()
    assert english_left(errors.content.decode(), "es") == []
    client.post("/s/encuesta/", {f"q{rating.pk}": "4"})
    thanks = client.get("/s/encuesta/thanks/")
    assert "Hemos recibido sus respuestas" in thanks.content.decode()
    assert english_left(thanks.content.decode(), "es") == []


@pytest.mark.parametrize(
    ("language", "words"), [("fr", "Envoyer mes réponses"), ("de", "Meine Antworten senden")]
)
def test_the_switcher_changes_the_language_only_in_the_link(client, spanish, language, words):
    _, _, rating, _ = spanish
    page = client.get(f"/s/encuesta/?lang={language}")
    assert words in page.content.decode()
    assert english_left(page.content.decode(), language) == []
    sent = client.post(f"/s/encuesta/?lang={language}", {f"q{rating.pk}": "5"})
    assert sent["Location"] == f"/s/encuesta/thanks/?lang={language}", "the choice travels in the link"
    assert "lang" not in str(client.cookies) and not client.session.keys(), "nothing remembers it"
    assert "language" not in {f.name for f in Response._meta.get_fields()}, "never stored with the answers"
    # The next visit without the link's choice is in the survey's own language again.
    client.cookies.clear()
    assert "Enviar mis respuestas" in client.get("/s/encuesta/").content.decode()


def test_an_unknown_language_falls_back_to_the_surveys_own(client, spanish):
    assert "Enviar mis respuestas" in client.get("/s/encuesta/?lang=xx").content.decode()


def test_english_is_one_of_the_choices(client, spanish):
    assert "Send my answers" in client.get("/s/encuesta/?lang=en").content.decode()


def test_the_invitation_email_is_in_the_surveys_language(spanish, tmp_path):
    survey, wave, _, _ = spanish
    addresses = tmp_path / "emails.txt"
    addresses.write_text("ana@example.org\n")
    survey.language = "de"
    survey.anonymity = "pseudonymous"
    survey.save()
    call_command("send_invitations", wave=wave.pk, emails=addresses, stdout=open("/dev/null", "w"))
    message = mail.outbox[0]
    assert "Guten Tag," in message.body
    assert "Ihre Antworten werden nicht mit Ihrem Namen verknüpft." in message.body
    assert "Wie gut unterstützt" in message.subject
    assert '<html lang="de">' in message.alternatives[0][0]
    assert english_left(message.body, "de") == [] and english_left(message.alternatives[0][0], "de") == []

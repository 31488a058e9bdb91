"""Asking IT staff for their view from the builder (issue 19): one button on a users' wave
makes its self-view wave, whose page offers personal links only, never the open link."""

import pytest
from django.conf import settings

from surveys.models import Question, Response, Wave
from tests.factories import add_question, make_survey, make_user, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(client):
    manager = make_user("manager", "Managers")
    client.force_login(manager)
    survey = make_survey()
    survey.owners.add(manager)
    add_question(survey, Question.RATING_5)
    return survey


def wave_page(wave: Wave) -> str:
    return f"/surveys/{wave.survey.slug}/waves/{wave.pk}/"


def ask_it_staff(client, wave: Wave):
    return client.post(wave_page(wave) + "self-view/")


def test_the_wave_page_offers_to_ask_it_staff_with_a_plain_explanation(client, survey):
    text = client.get(wave_page(make_wave(survey))).content.decode()
    assert "Ask IT staff for their view of this wave" in text
    assert "their own invitation list" in text and "never mix into users" in text


def test_asking_it_staff_makes_one_self_view_wave_and_opens_its_page(client, survey):
    wave = make_wave(survey, label="Spring")
    answer = ask_it_staff(client, wave)
    self_view = Wave.objects.get(self_view_of=wave)
    assert answer.status_code == 302 and answer["Location"] == wave_page(self_view)
    assert (self_view.opens, self_view.closes) == (wave.opens, wave.closes)
    assert ask_it_staff(client, wave)["Location"] == wave_page(self_view)  # a second click makes no second
    assert Wave.objects.filter(self_view_of=wave).count() == 1
    text = client.get(wave_page(wave)).content.decode()
    assert "Ask IT staff for their view" not in text and wave_page(self_view) in text


def test_the_self_view_page_has_invitations_but_no_open_link_qr_or_flyer(client, survey):
    wave = make_wave(survey)
    ask_it_staff(client, wave)
    self_view = Wave.objects.get(self_view_of=wave)
    text = client.get(wave_page(self_view)).content.decode()
    assert f"{wave_page(self_view)}invitations/" in text
    assert f"{settings.SITE_URL}/s/{survey.slug}/" not in text
    assert "qr.svg" not in text and "flyer/" not in text and "Ask IT staff for their view" not in text
    assert client.get(wave_page(self_view) + "qr.svg").status_code == 404
    assert client.get(wave_page(self_view) + "flyer/").status_code == 404
    assert client.get(wave_page(self_view) + "invitations/").status_code == 200


def test_the_open_link_never_leads_to_the_self_view_wave(client, survey):
    """Even with the self-view wave opened later than the users' wave, the open link
    answers into the users' wave."""
    question = survey.questions.get()
    wave = make_wave(survey)
    ask_it_staff(client, wave)
    client.logout()
    page = client.get(f"/s/{survey.slug}/")
    assert page.status_code == 200 and "IT self-view" not in page.content.decode()
    client.post(f"/s/{survey.slug}/", {f"q{question.pk}": "4"})
    assert Response.objects.get().wave == wave


def test_a_self_view_wave_gets_no_self_view_of_its_own(client, survey):
    wave = make_wave(survey)
    ask_it_staff(client, wave)
    self_view = Wave.objects.get(self_view_of=wave)
    answer = ask_it_staff(client, self_view)
    assert answer.status_code == 409 and "already IT&#x27;s self-view wave" in answer.content.decode()
    assert Wave.objects.count() == 2


def test_a_closed_wave_gets_no_self_view(client, survey):
    wave = make_wave(survey, "closed")
    assert "has closed" in client.get(wave_page(wave)).content.decode()
    answer = ask_it_staff(client, wave)
    assert answer.status_code == 409 and "has closed" in answer.content.decode()
    assert not Wave.objects.filter(self_view_of=wave).exists()


def test_only_the_surveys_owners_may_ask_it_staff(client, survey):
    wave = make_wave(survey)
    client.force_login(make_user("other", "Managers"))
    assert ask_it_staff(client, wave).status_code == 404
    client.force_login(make_user("viewer", "Viewers"))
    assert ask_it_staff(client, wave).status_code == 403
    assert client.get(wave_page(wave) + "self-view/").status_code in (403, 405)
    assert not Wave.objects.filter(self_view_of=wave).exists()


def test_it_staff_are_invited_with_their_own_words(client, survey):
    """The standard invitation of a self-view wave asks IT staff to answer as users would;
    the users' wave keeps the users' text."""
    wave = make_wave(survey)
    ask_it_staff(client, wave)
    self_view = Wave.objects.get(self_view_of=wave)
    text = client.get(wave_page(self_view) + "invitations/new/").content.decode()
    assert "invite IT staff only" in text
    assert "as you think the people we serve would answer it" in text
    assert "how do you think the people we serve see us?" in text
    users_text = client.get(wave_page(wave) + "invitations/new/").content.decode()
    assert "as you think the people we serve" not in users_text and "invite IT staff only" not in users_text


def test_a_label_a_manager_already_gave_another_wave_is_not_reused(client, survey):
    """No error page when the self-view's natural label is taken or too long."""
    wave = make_wave(survey, label="Spring")
    make_wave(survey, "upcoming", label="Spring — IT self-view")
    assert ask_it_staff(client, wave).status_code == 302
    assert Wave.objects.get(self_view_of=wave).label == "Spring — IT self-view (2)"
    long = make_wave(survey, label="L" * 55)
    assert ask_it_staff(client, long).status_code == 302
    assert len(Wave.objects.get(self_view_of=long).label) <= 60

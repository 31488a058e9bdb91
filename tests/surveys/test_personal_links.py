"""Personal links work once, and anonymity holds: nothing identifying is stored."""

import threading

import pytest
from django.db import connection
from django.test import Client

from surveys import services
from surveys.models import Answer, Invitation, Question, Response, Survey
from tests.factories import add_question, make_survey, make_wave


def make_invited(anonymity=Survey.ANONYMOUS, state="open", email="ana@example.org"):
    survey = make_survey(anonymity=anonymity)
    question = add_question(survey, Question.RATING_5)
    wave = make_wave(survey, state)
    issued = services.invitation_issue(wave=wave, email=email)
    return issued.invitation, issued.token, question


@pytest.mark.django_db
def test_a_personal_link_stores_one_response(client):
    invitation, token, question = make_invited()
    page = client.post(f"/s/i/{token}/", {f"q{question.pk}": "5"})
    assert page.status_code == 302
    assert Response.objects.count() == 1
    assert Response.objects.get().source == Response.LINK
    invitation.refresh_from_db()
    assert invitation.answered


@pytest.mark.django_db
def test_a_pseudonymous_link_keeps_the_exact_time_it_was_used(client):
    """Pseudonymous and identified surveys keep what they declare: the moment of use."""
    invitation, token, question = make_invited(anonymity=Survey.PSEUDONYMOUS)
    client.post(f"/s/i/{token}/", {f"q{question.pk}": "5"})
    invitation.refresh_from_db()
    assert invitation.answered and invitation.used_at is not None


@pytest.mark.django_db
def test_a_second_submission_stores_nothing_and_says_so_politely(client):
    """Double click, or back-and-resubmit: the second post is a 409 with a kind message."""
    _, token, question = make_invited()
    client.post(f"/s/i/{token}/", {f"q{question.pk}": "5"})
    again = client.post(f"/s/i/{token}/", {f"q{question.pk}": "1"})
    assert again.status_code == 409
    assert "We already have your answers" in again.content.decode()
    assert Response.objects.count() == 1
    assert Answer.objects.get().number == 5
    revisit = client.get(f"/s/i/{token}/")
    assert revisit.status_code == 200
    assert "We already have your answers" in revisit.content.decode()


@pytest.mark.django_db
def test_a_link_used_between_loading_and_sending_the_form_stores_nothing(client):
    """The service refuses a used link even when the view's first check passed."""
    invitation, _, question = make_invited()
    services.response_submit(wave=invitation.wave, answers={question: 4}, invitation=invitation)
    stale = Invitation.objects.get(pk=invitation.pk)
    stale.answered = False  # what a request that loaded the row earlier still believes
    with pytest.raises(services.InvitationAlreadyUsed):
        services.response_submit(wave=stale.wave, answers={question: 1}, invitation=stale)
    assert Response.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_with_one_token_store_exactly_one_response():
    invitation, _, question = make_invited()
    barrier = threading.Barrier(2)
    outcomes = []

    def submit(value):
        try:
            fresh = Invitation.objects.select_related("wave__survey").get(pk=invitation.pk)
            barrier.wait(timeout=10)
            services.response_submit(wave=fresh.wave, answers={question: value}, invitation=fresh)
            outcomes.append("stored")
        except services.InvitationAlreadyUsed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(v,)) for v in (2, 4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "stored"]
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 1


@pytest.mark.django_db
def test_unknown_token_is_a_friendly_404(client):
    make_invited()
    page = client.get("/s/i/not-a-real-token/")
    assert page.status_code == 404
    assert "This link is not recognised" in page.content.decode()
    assert client.post("/s/i/not-a-real-token/", {}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "status"), [("closed", 410), ("upcoming", 403)])
def test_a_personal_link_to_a_wave_that_is_not_open_shows_a_page(client, state, status):
    _, token, question = make_invited(state=state)
    assert client.get(f"/s/i/{token}/").status_code == status
    assert client.post(f"/s/i/{token}/", {f"q{question.pk}": "3"}).status_code == status
    assert Response.objects.count() == 0


@pytest.mark.django_db
def test_tokens_are_stored_only_as_hashes():
    invitation, token, _ = make_invited()
    stored = [str(value) for value in Invitation.objects.values_list().get(pk=invitation.pk)]
    assert token not in stored
    assert invitation.token_hash != token and len(invitation.token_hash) == 64


@pytest.mark.django_db
def test_anonymous_mode_stores_no_identity(client):
    """No IP, no user agent, no email, no link from the invitation to the response."""
    invitation, token, question = make_invited(email="ana@example.org")
    client.post(
        f"/s/i/{token}/",
        {f"q{question.pk}": "5"},
        REMOTE_ADDR="203.0.113.77",
        HTTP_USER_AGENT="TellTaleBrowser/1.0",
    )
    response = Response.objects.get()
    invitation.refresh_from_db()
    assert response.invitation is None
    assert invitation.email == ""
    # The link records only that it was used, not when, so it cannot be matched.
    assert invitation.answered and invitation.used_at is None
    # Nothing in any stored row carries the address, the IP or the browser.
    everything = " ".join(
        str(row) for model in (Response, Answer, Invitation) for row in model.objects.values_list()
    )
    for secret in ("203.0.113.77", "TellTaleBrowser", "ana@example.org", token):
        assert secret not in everything
    # The respondent key is random, not derived from the invitation.
    assert response.respondent_key != services.keyed_hash("respondent:" + invitation.email_hash)


@pytest.mark.django_db
def test_anonymous_open_link_responses_get_unrelated_keys(client):
    survey = make_survey()
    question = add_question(survey, Question.RATING_5)
    make_wave(survey)
    for _ in range(2):
        Client().post(f"/s/{survey.slug}/", {f"q{question.pk}": "4"})  # two browsers
    keys = list(Response.objects.values_list("respondent_key", flat=True))
    assert len(set(keys)) == 2


@pytest.mark.django_db
def test_pseudonymous_key_is_a_keyed_hash_that_groups_one_person_across_waves(settings):
    survey = make_survey(anonymity=Survey.PSEUDONYMOUS)
    question = add_question(survey, Question.RATING_5)
    first, second = make_wave(survey, label="Q1"), make_wave(survey, label="Q2")
    keys = []
    for wave in (first, second):
        invitation = services.invitation_issue(wave=wave, email="Ana@Example.org").invitation
        keys.append(
            services.response_submit(wave=wave, answers={question: 3}, invitation=invitation).respondent_key
        )
    assert keys[0] == keys[1]
    assert "ana" not in keys[0].lower()
    # Another server secret gives another key: the key cannot be recomputed without it.
    settings.RESPONDENT_KEY_SECRET = "another-secret"
    assert services.keyed_hash("respondent:" + services.email_hash("ana@example.org")) != keys[0]


@pytest.mark.django_db
def test_identified_mode_keeps_the_email_and_links_the_response():
    invitation, _, question = make_invited(anonymity=Survey.IDENTIFIED, email="ana@example.org")
    response = services.response_submit(wave=invitation.wave, answers={question: 2}, invitation=invitation)
    assert response.invitation == invitation
    assert invitation.email == "ana@example.org"


@pytest.mark.django_db
def test_privacy_notice_matches_the_anonymity_mode(client):
    texts = {}
    for mode in (Survey.ANONYMOUS, Survey.PSEUDONYMOUS, Survey.IDENTIFIED):
        survey = make_survey(slug=mode, anonymity=mode)
        add_question(survey, Question.RATING_5)
        make_wave(survey)
        texts[mode] = client.get(f"/s/{mode}/").content.decode()
    assert "This survey is <strong>anonymous</strong>" in texts[Survey.ANONYMOUS]
    assert "<strong>not linked to your name</strong>" in texts[Survey.PSEUDONYMOUS]
    assert "<strong>linked to your email address</strong>" in texts[Survey.IDENTIFIED]
    assert "anonymous</strong>" not in texts[Survey.IDENTIFIED]

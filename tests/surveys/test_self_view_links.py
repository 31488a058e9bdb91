"""IT staff answer a self-view wave through their own personal links: the page tells them
how to answer, asks no department, and the answer lands in the self-view wave only."""

import pytest

from surveys import services
from surveys.models import Question, Response
from tests.factories import add_question, make_departments, make_survey, make_wave


@pytest.mark.django_db
def test_a_self_view_link_asks_it_staff_to_answer_as_users_would(client):
    survey = make_survey()
    question = add_question(survey, Question.RATING_5)
    make_departments("Finance")
    users = make_wave(survey, "open")
    self_view = services.self_view_wave_create(wave=users)
    assert services.self_view_wave_create(wave=users) == self_view  # one per users' wave
    token = services.invitation_issue(wave=self_view, email="it@example.org").token
    page = client.get(f"/s/i/{token}/")
    html = page.content.decode()
    assert "IT self-view: answer as the people you serve would" in html
    assert "Finance" not in html  # no department question
    assert client.post(f"/s/i/{token}/", {f"q{question.pk}": "5"}).status_code == 302
    assert Response.objects.get().wave == self_view
    assert not users.responses.exists()


@pytest.mark.django_db
def test_a_users_link_says_nothing_of_a_self_view(client):
    survey = make_survey()
    add_question(survey, Question.RATING_5)
    token = services.invitation_issue(wave=make_wave(survey, "open"), email="ana@example.org").token
    assert "IT self-view" not in client.get(f"/s/i/{token}/").content.decode()


@pytest.mark.django_db
def test_a_self_view_wave_has_no_self_view_of_its_own():
    self_view = services.self_view_wave_create(wave=make_wave(make_survey(), "open"))
    with pytest.raises(ValueError):
        services.self_view_wave_create(wave=self_view)


@pytest.mark.django_db
def test_it_staff_comments_never_enter_the_coding_queue():
    """Comments in a self-view wave are IT's guesses, not users' voices."""
    from surveys.models import Answer
    from tests.factories import add_response

    survey = make_survey()
    comment = add_question(survey, Question.TEXT, text="Change one thing")
    users = make_wave(survey, "open")
    self_view = services.self_view_wave_create(wave=users)
    for number in range(6):
        add_response(users, {comment: f"user comment {number}"})
        add_response(self_view, {comment: f"IT guess {number}"})
    queued = [a.text for a in Answer.objects.awaiting_coding()]
    assert len(queued) == 6 and all(text.startswith("user") for text in queued)

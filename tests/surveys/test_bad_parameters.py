"""Bad parameters are answered with a 4xx and a message, never a 500."""

import pytest
from django.test import Client

from surveys.models import Question, Response
from tests.factories import add_question, make_survey, make_user, make_wave

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["abc", "", "1.5", "9" * 30, "-1"])
def test_coding_a_comment_that_is_not_a_number_is_a_400(client, value):
    client.force_login(make_user("listener", "Listeners"))
    page = client.post("/coding/", {"answer": value, "action": "skip"})
    assert page.status_code in (400, 404)


def test_a_survey_posted_as_latin_1_bytes_is_answered_not_crashed():
    """A browser (or a script) sending Latin-1 instead of UTF-8 gets the form back or a
    thank-you, with nothing garbled stored silently as a crash."""
    survey = make_survey(slug="pulse")
    comment = add_question(survey, Question.TEXT, text="Change one thing")
    make_wave(survey)
    client = Client()
    body = f"q{comment.pk}=caf\xe9 cr\xe8me".encode("latin-1")
    page = client.post("/s/pulse/", body, content_type="application/x-www-form-urlencoded")
    assert page.status_code < 500
    body = f"q{comment.pk}=".encode() + b"%E9%00%FF"
    page = client.post("/s/pulse/", body, content_type="application/x-www-form-urlencoded")
    assert page.status_code < 500
    declared = "application/x-www-form-urlencoded; charset=latin-1"
    latin = f"q{comment.pk}=caf\xe9".encode("latin-1")
    page = client.generic("POST", "/s/pulse/", latin, content_type=declared)
    assert page.status_code < 500
    assert Response.objects.count() <= 2

"""Answers carry no database foreign-key check on their response and question (imports
write millions); deleting what they belong to must still take them along."""

import pytest

from surveys.models import Answer, Question
from tests.factories import add_question, add_response, make_survey, make_wave

pytestmark = pytest.mark.django_db


def test_deleting_a_response_deletes_its_answers():
    """No answer outlives its response, so no figure counts a deleted respondent."""
    survey = make_survey()
    question = add_question(survey, Question.RATING_5)
    wave = make_wave(survey, "closed")
    kept = add_response(wave, {question: 4})
    gone = add_response(wave, {question: 2})
    gone.delete()
    assert list(Answer.objects.values_list("response_id", "number")) == [(kept.pk, 4.0)]


def test_deleting_a_survey_deletes_every_answer():
    """A survey deleted with its questions, waves and responses leaves no answer behind."""
    survey = make_survey()
    question = add_question(survey, Question.RATING_5)
    add_response(make_wave(survey, "closed"), {question: 5})
    other = make_survey(slug="other")
    other_question = add_question(other, Question.RATING_5)
    add_response(make_wave(other, "closed"), {other_question: 3})
    survey.delete()
    assert list(Answer.objects.values_list("question_id", flat=True)) == [other_question.pk]


def test_deleting_a_question_deletes_its_answers():
    """A question removed from a draft takes its answers (e.g. previews) with it."""
    survey = make_survey()
    first = add_question(survey, Question.RATING_5)
    second = add_question(survey, Question.RATING_5)
    add_response(make_wave(survey, "closed"), {first: 1, second: 2})
    first.delete()
    assert list(Answer.objects.values_list("question_id", flat=True)) == [second.pk]

import pytest
from django.core.cache import cache

from surveys.models import Question
from tests.factories import add_question, make_departments, make_survey, make_wave


@pytest.fixture
def every_kind(db):
    """An open survey with one question of every kind; the 0–10 and single-choice ones required."""
    survey = make_survey()
    wave = make_wave(survey)
    make_departments("Finance", "Sales")
    questions = {
        "rating_5": add_question(survey, Question.RATING_5, dimension="Reliability"),
        "rating_7": add_question(survey, Question.RATING_7),
        "scale_10": add_question(survey, Question.SCALE_10, required=True),
        "single": add_question(survey, Question.SINGLE, choices=["Laptop", "Desktop"], required=True),
        "multiple": add_question(survey, Question.MULTIPLE, choices=["Email", "Chat", "Phone"]),
        "text": add_question(survey, Question.TEXT),
    }
    return survey, wave, questions


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache, so open-link burst counts never carry over."""
    cache.clear()

"""Migration 0007: the built-in instrument's 0–10 recommend question earns a net score."""

import pytest

from surveys import instrument
from surveys.models import Question

pytestmark = pytest.mark.django_db


def test_the_builtin_recommend_question_is_marked_likelihood_to_recommend():
    recommend = Question.objects.get(survey__slug=instrument.SLUG, text=instrument.RECOMMEND)
    assert recommend.likelihood_to_recommend is True
    others = Question.objects.filter(survey__slug=instrument.SLUG).exclude(pk=recommend.pk)
    assert not others.filter(likelihood_to_recommend=True).exists()
    assert not Question.objects.filter(favourable_from__isnull=False).exists(), "default: top two points"


def test_marking_again_is_harmless():
    instrument.mark_recommend(Question)
    assert Question.objects.filter(likelihood_to_recommend=True).count() == 1

"""ATTACK on the actions page's "dimensions" comparison: each wave's row is computed over
the people who hold a score on the targeted AND every untargeted dimension (an inner
join of published respondents), a group nobody checks against k. Two optional
dimensions, each with k answerers (both totals shown), overlapping in ONE person: the
row's "People" is 1 and its two means are that person's two scores.

Each test is an attack that passes only if it works; see tests/attacks/conftest.py."""

import pytest
from django.urls import reverse

from conversations.models import Action
from surveys.models import Question
from tests.factories import add_question, add_response, make_past_waves, make_survey, make_user

pytestmark = pytest.mark.django_db
SECRET = (1, 5)  # the one person's Service and Reliability answers


# Defence: a dimension family counts only people who answered every dimension question,
# so both totals are hidden
def test_actions_page_dimension_contrast_over_one_person(client):
    survey = make_survey()
    a = add_question(survey, Question.RATING_5, text="Service?", dimension="Service")
    b = add_question(survey, Question.RATING_5, text="Reliability?", dimension="Reliability")
    waves = make_past_waves(survey, ["W1", "W2"])
    k = survey.group_threshold()
    for wave in waves:
        for n in range(k - 1):
            add_response(wave, {a: 3 + n % 2})
            add_response(wave, {b: 2 + n % 2})
        add_response(wave, {a: SECRET[0], b: SECRET[1]})  # the only person answering both
    Action.objects.create(
        title="New ticket rules",
        status=Action.DONE,
        done_on=(waves[0].closes + (waves[1].opens - waves[0].closes) / 2).date(),
        targets=["dimension:Service"],
    )
    client.force_login(make_user("viewer", "Viewers"))
    page = client.get(reverse("reports:actions_impact") + "?survey=" + survey.slug)
    assert page.status_code == 200
    page.content.decode()
    effects = (
        [e for item in page.context["impacts"] for e in item.effects] if "impacts" in page.context else []
    )
    rows = [w for e in effects for w in e.waves]
    assert rows, "no contrast rows"
    assert all(w.targeted_n == 1 for w in rows)
    assert (round(rows[0].targeted_mean), round(rows[0].comparison_mean)) == SECRET

"""ATTACK: re-cut a final wave's published figures by editing a question's dimension.

A dimension's family counts only people who answered every dimension question. One
person (the target) skipped the optional dimension item, so the final publication
leaves them out of the dimension, its items and the overall score. The manager then
takes the optional item out of the dimension (a scoring change the builder accepts on
an answered question); the wave is re-published "over the same respondents" with new
rules, the target is now complete and joins, and n x mean after - (n-1) x mean before is
the target's answer.

Each test is an attack that passes only if it works; see tests/attacks/conftest.py."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.models import Question, Wave
from tests.factories import add_question, add_response, make_survey, make_user

pytestmark = pytest.mark.django_db
SECRET = 1


def figures(client, survey, measure):
    text = client.get(reverse("reports:export_csv") + "?survey=" + survey.slug).getvalue().decode()
    for row in csv.reader(io.StringIO(text)):
        if row and row[0] == "Whole organisation" and row[1] == measure:
            return int(row[7] or 0), float(row[8] or "nan")
    return 0, float("nan")


def test_moving_an_item_out_of_a_dimension_adds_one_person_to_published_figures(client):
    survey = make_survey()
    required = add_question(survey, Question.RATING_5, required=True, dimension="Service")
    optional = add_question(survey, Question.RATING_5, dimension="Service")
    now = timezone.now()
    wave = Wave.objects.create(
        survey=survey, label="Q4", opens=now - timedelta(days=10), closes=now + timedelta(days=1)
    )
    for n in range(9):
        add_response(wave, {required: 3 + n % 3, optional: 4})
    add_response(wave, {required: SECRET})  # the target skips the optional item
    Wave.objects.filter(pk=wave.pk).update(closes=now - timedelta(minutes=1))
    client.force_login(make_user("viewer", "Viewers"))
    before = figures(client, survey, f"question:{required.pk}")
    # The manager's edit (what surveys:question_edit saves with confirm=scoring).
    EDIT(client, survey, optional)
    after = figures(client, survey, f"question:{required.pk}")
    assert after[0] - before[0] == 1
    assert round(after[0] * after[1] - before[0] * before[1]) == SECRET


def EDIT(client, survey, question):
    """POST surveys:question_edit with the form as it stands but no dimension, then again
    with confirm=<the change the page announced> (409 first: "say what saving will do")."""
    manager = make_user("boss", "Managers")
    survey.owners.add(manager)
    client.force_login(manager)
    url = reverse("surveys:question_edit", args=[survey.slug, question.pk])
    form = client.get(url).context["form"]
    data = {}
    for field in form:
        value = field.value()
        if value in (None, False):
            continue
        data[field.html_name] = "on" if value is True else value
    data["dimension"] = ""
    first = client.post(url, data)
    if first.status_code == 409:
        data["confirm"] = first.context["change"]
        first = client.post(url, data)
    assert first.status_code == 302, first.content.decode()[:3000]
    client.force_login(make_user("viewer2", "Viewers"))

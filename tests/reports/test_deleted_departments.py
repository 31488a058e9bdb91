"""A department deleted after its figures were published keeps a cell of its own in
every reader: published rows keep its id, and the publication hid or showed that cell
under its own name. Read as "no department" instead, a hidden cell's people counted as
visible wherever the wave had no "no department" cell, and their comments joined the
organisation's themes: the whole list minus the shown departments' lists gave theirs."""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from perception.models import Department, Theme
from reports import cache as documents
from surveys.models import Answer, Question
from tests.factories import add_question, add_response, make_survey, make_wave

pytestmark = pytest.mark.django_db


def voices(document) -> dict[str, int]:
    return {theme["theme"]: theme["voices"] for theme in document["themes"]}


@pytest.fixture
def published():
    """One closed wave: A 6, B 6, C 2 respondents; C is below k = 5, so C and the next
    smallest (A) are hidden and only B is shown."""
    survey = make_survey(slug="kept", title="Kept")
    rating = add_question(survey, Question.RATING_5, text="IT is reliable")
    comment = add_question(survey, Question.TEXT, text="What should IT change?")
    wave = make_wave(survey, "closed", label="Autumn")
    departments = [Department.objects.create(name=name) for name in ("A", "B", "C")]
    for department, size in zip(departments, (6, 6, 2), strict=True):
        for number in range(size):
            answers = {rating: 1 + number % 5, comment: f"{department.name} {number}"}
            add_response(wave, answers, department=department)
    call_command("publish_figures", stdout=StringIO())
    return survey


def test_the_comments_of_a_deleted_departments_hidden_cell_stay_out_of_the_themes(published):
    secret = Theme.objects.named("Secret")
    for answer in Answer.objects.filter(text__startswith="C "):
        answer.themes.add(secret)
    cache.clear()
    document = documents.trends_document(published)
    shown = {d["department"] for d in document["departments"] if not d["suppressed"]}
    assert shown == {"B"}
    assert "Secret" not in voices(document)
    Department.objects.filter(name="C").delete()  # an administrator tidies up
    cache.clear()
    assert "Secret" not in voices(documents.trends_document(published))


def test_a_deleted_department_keeps_its_own_hidden_cell_in_the_figures(published, viewer):
    Department.objects.filter(name="C").delete()
    cache.clear()
    document = documents.trends_document(published)
    by_name = {d["department"]: d for d in document["departments"]}
    assert not by_name["B"]["suppressed"]
    assert by_name["A"]["suppressed"]
    deleted = [d for name, d in by_name.items() if name.startswith("(department")]
    assert len(deleted) == 1 and deleted[0]["suppressed"] and deleted[0]["respondents"] is None
    page = viewer.get(reverse("reports:dashboard") + "?survey=kept")
    assert page.status_code == 200
    assert "(department" in page.content.decode()  # named, and suppressed like any small cell

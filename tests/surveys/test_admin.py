"""Staff build surveys in the admin; responses can be read there but never edited."""

import pytest

from surveys import instrument
from surveys.models import Question, Survey

pytestmark = pytest.mark.django_db


def test_built_in_instrument_is_present_after_migrating():
    survey = Survey.objects.get(slug=instrument.SLUG)
    kinds = list(survey.questions.values_list("kind", flat=True))
    assert kinds.count(Question.RATING_5) == 15
    assert kinds.count(Question.SCALE_10) == 1
    assert kinds.count(Question.TEXT) == 2
    assert set(survey.questions.exclude(dimension="").values_list("dimension", flat=True)) == {
        "Reliability",
        "Responsiveness",
        "Competence",
        "Communication and empathy",
        "Professionalism",
    }


def test_admin_builds_a_survey_with_questions_inline(admin_client):
    page = admin_client.post(
        "/admin/surveys/survey/add/",
        {
            "title": "Laptop refresh",
            "slug": "laptop-refresh",
            "intro": "",
            "anonymity": "anonymous",
            "language": "en",
            "min_group_size": "5",
            "ask_department": "on",
            "questions-TOTAL_FORMS": "2",
            "questions-INITIAL_FORMS": "0",
            "questions-0-order": "1",
            "questions-0-text": "The new laptop suits my work.",
            "questions-0-kind": "rating_5",
            "questions-0-dimension": "Equipment",
            "questions-1-order": "2",
            "questions-1-text": "Which model did you get?",
            "questions-1-kind": "single",
            "waves-TOTAL_FORMS": "1",
            "waves-INITIAL_FORMS": "0",
            "waves-0-label": "Pilot",
            "waves-0-opens_0": "2026-11-01",
            "waves-0-opens_1": "09:00:00",
            "waves-0-closes_0": "2026-12-01",
            "waves-0-closes_1": "09:00:00",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    survey = Survey.objects.get(slug="laptop-refresh")
    assert [q.text for q in survey.questions.all()] == [
        "The new laptop suits my work.",
        "Which model did you get?",
    ]
    assert survey.waves.get().label == "Pilot"
    question = survey.questions.get(kind="single")
    assert admin_client.get(f"/admin/surveys/question/{question.pk}/change/").status_code == 200


def test_staff_home_needs_sign_in(client, admin_client):
    assert client.get("/").status_code == 302
    page = admin_client.get("/")
    assert page.status_code == 200
    assert "/s/it-service/" in page.content.decode()


@pytest.mark.parametrize(
    "change, field",
    [({"anonymity": Survey.IDENTIFIED}, "anonymity"), ({"min_group_size": 5}, "min_group_size")],
)
def test_the_admin_site_cannot_weaken_a_promise_people_answered_under(rf, admin_user, change, field):
    """The builder refuses to change an answered survey's anonymity or to lower its
    minimum group size; the admin site held no such rule and was a way round it."""
    from django.contrib.admin.sites import site
    from django.forms.models import model_to_dict

    from tests.factories import add_response, make_survey, make_wave

    survey = make_survey(slug="kept", anonymity=Survey.ANONYMOUS, min_group_size=7)
    request = rf.get("/admin/")
    request.user = admin_user
    form_class = site._registry[Survey].get_form(request, obj=survey)
    data = {key: value for key, value in model_to_dict(survey).items() if value is not None}
    assert form_class(data | change, instance=survey).is_valid()  # nobody answered yet
    add_response(make_wave(survey, "open"), {})
    form = form_class(data | change, instance=survey)
    assert not form.is_valid()
    assert "cannot change" in str(form.errors[field]) or "only be raised" in str(form.errors[field])
    assert form_class(data | {"min_group_size": 9}, instance=survey).is_valid()  # raising is fine

"""The minimum group size k has a floor: the site's minimum, never below 3; a survey may raise it."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from perception.models import SiteSettings
from surveys.models import Survey
from tests.factories import make_survey

pytestmark = pytest.mark.django_db


def admin_survey_post(min_group_size: str) -> dict:
    return {
        "title": "Laptop refresh",
        "slug": "laptop-refresh",
        "intro": "",
        "anonymity": "anonymous",
        "language": "en",
        "min_group_size": min_group_size,
        "ask_department": "on",
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
        "waves-TOTAL_FORMS": "0",
        "waves-INITIAL_FORMS": "0",
    }


def test_a_survey_with_k_of_1_is_refused_by_the_admin_form(admin_client):
    """The message names the site minimum; nothing is saved."""
    page = admin_client.post("/admin/surveys/survey/add/", admin_survey_post("1"))
    assert page.status_code == 200
    assert "cannot be lower than the site minimum of 5" in page.content.decode()
    assert not Survey.objects.filter(slug="laptop-refresh").exists()


def test_the_admin_form_refuses_a_k_below_a_raised_site_minimum(admin_client):
    SiteSettings(min_group_size=8).save()
    page = admin_client.post("/admin/surveys/survey/add/", admin_survey_post("6"))
    assert "cannot be lower than the site minimum of 8" in page.content.decode()
    assert not Survey.objects.filter(slug="laptop-refresh").exists()


def test_a_survey_may_raise_k_above_the_site_minimum(admin_client):
    page = admin_client.post("/admin/surveys/survey/add/", admin_survey_post("12"))
    assert page.status_code == 302
    assert Survey.objects.get(slug="laptop-refresh").group_threshold() == 12


def test_group_threshold_reads_the_site_minimum():
    """A survey stored with a lower k (older data, or saved around the form) still gets the site's."""
    survey = make_survey(min_group_size=1)
    assert survey.group_threshold() == 5
    SiteSettings(min_group_size=9).save()
    assert survey.group_threshold() == 9
    assert survey.self_reported_threshold() == 18


def test_self_reported_threshold_is_twice_the_group_threshold():
    survey = make_survey(min_group_size=7)
    assert (survey.group_threshold(), survey.self_reported_threshold()) == (7, 14)


def test_site_minimum_below_three_is_refused_by_validation_and_by_the_database():
    with pytest.raises(ValidationError):
        SiteSettings(min_group_size=2).full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        SiteSettings(min_group_size=2).save()


def test_the_survey_page_promises_the_threshold_actually_used(client):
    from surveys.models import Question
    from tests.factories import add_question, make_wave

    survey = make_survey(min_group_size=1)
    add_question(survey, Question.RATING_5)
    make_wave(survey)
    html = client.get(f"/s/{survey.slug}/").content.decode()
    assert "groups of at least 5 people" in html

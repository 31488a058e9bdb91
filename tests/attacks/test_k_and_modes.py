"""ATTACKS on the minimum group size and the anonymity mode promised to respondents.

Each test is an attack that passes only if it works; see tests/attacks/conftest.py."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from perception.models import SiteSettings
from surveys.models import Invitation, Question, Response, Survey, Wave
from tests.factories import add_question, add_response, make_departments, make_survey, make_user

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://[^/\s]+(/s/i/[^/\s]+/)")


def _open_wave(survey):
    now = timezone.now()
    return Wave.objects.create(
        survey=survey, label="Q4", opens=now - timedelta(days=1), closes=now + timedelta(days=7)
    )


def _site_post(client, size):
    return client.post(
        reverse("administration:site_settings")
        if _has("administration:site_settings")
        else reverse("site_settings"),
        {
            "organisation_name": "Org",
            "it_team_name": "IT",
            "contact_line": "it@example.org",
            "min_group_size": str(size),
            "free_text_retention_months": "24",
        },
    )


def _has(name):
    from django.urls import NoReverseMatch

    try:
        reverse(name)
        return True
    except NoReverseMatch:
        return False


def test_administrator_lowers_site_k_after_people_answered_under_a_higher_one(client):
    """Site k raised to 8; people answer an anonymous survey whose page promises groups of
    8; before anyone opened a results page the administrator lowers k back to 5. The
    survey's own settings form refuses exactly this ("people answered under the threshold
    they were shown"), the site form only checks for a Publication row."""
    admin = make_user("root", "Administrators")
    client.force_login(admin)
    assert _site_post(client, 8).status_code == 302
    survey = make_survey()  # min_group_size 5 stored; site k 8 applies
    rating = add_question(survey, Question.RATING_5, dimension="Service")
    legal, sales = make_departments("Legal", "Sales")
    wave = _open_wave(survey)
    page = client.get(reverse("surveys:open_link", args=[survey.slug]))
    assert "groups of 8 or more" in page.content.decode()  # the promise respondents read
    for n in range(6):
        add_response(wave, {rating: 1 + n % 5}, department=legal)
    for n in range(9):
        add_response(wave, {rating: 2 + n % 4}, department=sales)
    assert Response.objects.filter(wave__survey=survey).exists()
    response = _site_post(client, 5)
    assert response.status_code == 302, "lowering refused"
    assert survey.group_threshold() == 5
    viewer = make_user("viewer", "Viewers")
    client.force_login(viewer)
    text = client.get(reverse("reports:export_csv") + "?survey=" + survey.slug).getvalue().decode()
    rows = [r for r in csv.reader(io.StringIO(text)) if r and r[0] == "Legal"]
    assert rows and rows[0][7] == "6"  # a group of 6, promised to stay hidden below 8, is shown


def test_manager_switches_anonymous_to_identified_after_the_invitations_went_out(client):
    """The invitation email promised an anonymous survey; before the first answer the
    manager switches the survey to identified (allowed: no response yet). Responses by
    those links are then tied to the invitation."""
    survey = make_survey(anonymity=Survey.ANONYMOUS)
    rating = add_question(survey, Question.RATING_5)
    wave = _open_wave(survey)
    manager = make_user("boss", "Managers")
    survey.owners.add(manager)
    client.force_login(manager)
    client.post(
        reverse("surveys:wave_invitations_new", args=[survey.slug, wave.pk]),
        {
            "addresses": "target@example.org",
            "subject": "S",
            "body": "Anonymous, promise. {link}",
            "when": "now",
            "action": "send",
        },
    )
    link = LINK.search(mail.outbox[0].body).group(1)
    settings_page = client.post(
        reverse("surveys:survey_settings", args=[survey.slug]),
        {
            "title": survey.title,
            "intro": "",
            "anonymity": Survey.IDENTIFIED,
            "min_group_size": "5",
            "ask_department": "on",
        },
    )
    assert settings_page.status_code == 302, "mode change refused"
    client.logout()
    assert client.post(link, {f"q{rating.pk}": "1"}).status_code == 302
    response = Response.objects.get()
    assert response.invitation is not None  # the anonymous invitee's answer now carries their invitation
    assert Invitation.objects.get().used_at is not None  # and the moment the link was used is kept


# Defence: once anyone has answered, a survey's k may only rise and its mode is locked
@pytest.mark.parametrize(
    ("start", "change"),
    [
        ({"min_group_size": 8}, {"anonymity": Survey.ANONYMOUS, "min_group_size": "5"}),  # lower k
        ({}, {"anonymity": Survey.IDENTIFIED, "min_group_size": "5"}),  # weaker mode
    ],
)
def test_manager_weakens_the_promise_after_answers(client, start, change):
    survey = make_survey(**start)
    rating = add_question(survey, Question.RATING_5)
    wave = _open_wave(survey)
    add_response(wave, {rating: 3})
    manager = make_user("boss", "Managers")
    survey.owners.add(manager)
    client.force_login(manager)
    page = client.post(
        reverse("surveys:survey_settings", args=[survey.slug]),
        {"title": survey.title, "intro": "", "ask_department": "on", **change},
    )
    assert page.status_code == 302


# Defence: the form's min is the floor 3
def test_administrator_sets_site_k_below_floor(client):
    client.force_login(make_user("root", "Administrators"))
    assert _site_post(client, 2).status_code == 302
    assert SiteSettings.load().min_group_size == 2


# Defence: preview checks, stores nothing
def test_preview_post_stores_a_response(client):
    survey = make_survey()
    rating = add_question(survey, Question.RATING_5)
    _open_wave(survey)
    manager = make_user("boss", "Managers")
    survey.owners.add(manager)
    client.force_login(manager)
    client.post(reverse("surveys:survey_preview", args=[survey.slug]), {f"q{rating.pk}": "4"})
    assert Response.objects.exists()

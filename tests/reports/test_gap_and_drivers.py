"""The perception gap and drivers pages: IT's self-view never moves a user figure, k holds
on both sides of the gap, and importance is shown only on enough people."""

import csv
import io
import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from reports import coverage, queries
from surveys import services
from surveys.models import Question, Survey
from tests.factories import (
    add_question,
    add_response,
    make_departments,
    make_past_waves,
    make_survey,
    make_wave,
)

pytestmark = pytest.mark.django_db
K = 5


@pytest.fixture
def pulse():
    """Two closed waves of 12 users (Finance 7, Sales 5) on two dimensions and an overall question."""
    survey = make_survey(slug="pulse", anonymity=Survey.ANONYMOUS)
    reliable = add_question(survey, Question.RATING_5, text="IT is reliable", dimension="Reliability")
    quick = add_question(survey, Question.RATING_5, text="IT is quick", dimension="Responsiveness")
    overall = add_question(survey, Question.RATING_5, text="Overall, how satisfied?", overall_measure=True)
    finance, sales = make_departments("Finance", "Sales")
    waves = make_past_waves(survey, ["2026 Q1", "2026 Q2"])
    for wave in waves:
        for number in range(12):
            add_response(
                wave,
                {reliable: 1 + number % 5, quick: 1 + (number * 2) % 5, overall: 1 + (number * 3) % 5},
                department=finance if number < 7 else sales,
            )
    return {"survey": survey, "waves": waves, "questions": (reliable, quick, overall), "finance": finance}


def add_self_view(wave, questions, values: list[tuple[int, int]], department=None):
    self_view = services.self_view_wave_create(wave=wave)
    reliable, quick, _ = questions
    for first, second in values:
        add_response(self_view, {reliable: first, quick: second}, department=department)
    return self_view


def user_figures(client) -> dict:
    out = StringIO()
    call_command("trends", "--survey", "pulse", "--json", stdout=out)
    raw = client.get(reverse("reports:responses_csv") + "?survey=pulse")
    page = client.get(reverse("reports:dashboard") + "?survey=pulse")
    return {
        "document": json.loads(out.getvalue()),
        "raw": sorted(
            tuple(row[1:]) for row in csv.reader(io.StringIO(b"".join(raw.streaming_content).decode()))
        ),
        "overview": [
            (r.survey.slug, r.wave, r.status, r.responses) for r in queries.survey_overview(timezone.now())
        ],
        "coverage": [(r.name, r.last_heard) for r in coverage.department_coverage(date(2026, 12, 1))],
        "heard": queries.surveyed_between(
            queries.kept_responses(pulse_survey()).values("pk"), date(2000, 1, 1), date(2100, 1, 1)
        ),
        "rows": page.context["heat_rows"],
    }


def pulse_survey():
    return Survey.objects.get(slug="pulse")


def test_a_self_view_answer_changes_no_user_figure(client, pulse):
    """Trends, raw export, dashboard, coverage and people heard are the same with and
    without fifteen IT staff answering (some of them from Finance) in a self-view wave."""
    client.force_login(User.objects.create_superuser("root", "root@example.org", "a-long-test-password"))
    before = user_figures(client)
    for wave in pulse["waves"]:
        add_self_view(wave, pulse["questions"], [(5, 5)] * 8, department=pulse["finance"])
        add_self_view(wave, pulse["questions"], [(4, 5)] * 7)
    cache.clear()
    after = user_figures(client)
    assert after == before
    assert before["document"]["waves"] and before["heard"] == 24


def test_the_open_link_never_leads_to_a_self_view_wave(pulse):
    users = make_wave(pulse["survey"], "open", label="2026 Q4")
    self_view = services.self_view_wave_create(wave=users)
    # Opened a little later, so it would be the open link's pick were it a users' wave.
    self_view.opens += timedelta(hours=1)
    self_view.save(update_fields=["opens"])
    wave, status = pulse["survey"].public_wave(timezone.now())
    assert (wave, status) == (users, "open")


def test_gap_shows_both_means_and_the_gap_with_its_interval(viewer, pulse):
    """IT staff: 4 × (5, 4) and 4 × (4, 4), so Reliability 4.5 against users' 2.75."""
    add_self_view(pulse["waves"][-1], pulse["questions"], [(5, 4)] * 4 + [(4, 4)] * 4)
    page = viewer.get(reverse("reports:gap") + "?survey=pulse")
    assert page.status_code == 200
    found = page.context["gap"]
    reliability = next(r for r in found.rows if r.measure.label == "Reliability")
    assert reliability.users.mean == pytest.approx(2.75)  # 1, 2, 3, 4, 5, 1, … over 12 people: 33 / 12
    assert reliability.it_staff.mean == pytest.approx(4.5)
    assert reliability.gap.estimate == pytest.approx(1.75)
    assert reliability.blind_spot
    assert found.rows[0].blind_spot  # blind spots are named first
    html = page.content.decode()
    assert "blind spot" in html and "Reliability" in html
    assert viewer.get(reverse("reports:gap_chart") + "?survey=pulse")["Content-Type"] == "image/svg+xml"


def test_a_self_view_group_smaller_than_k_is_hidden(viewer, pulse):
    add_self_view(pulse["waves"][-1], pulse["questions"], [(5, 5)] * (K - 1))
    page = viewer.get(reverse("reports:gap") + "?survey=pulse")
    assert page.status_code == 200
    assert not any(row.shown for row in page.context["gap"].rows)
    html = page.content.decode()
    assert "5.00" not in html
    assert viewer.get(reverse("reports:gap_chart") + "?survey=pulse").status_code == 404


def test_gap_page_says_when_there_is_no_self_view(viewer, pulse):
    page = viewer.get(reverse("reports:gap") + "?survey=pulse")
    assert "no IT self-view wave yet" in page.content.decode()


def test_drivers_need_ten_respondents_per_dimension(viewer, pulse):
    """12 people and 2 dimensions: 20 are needed, so the page says why nothing is shown."""
    page = viewer.get(reverse("reports:drivers") + "?survey=pulse")
    assert page.status_code == 200
    html = page.content.decode()
    assert "at least 10 respondents per dimension (20 for 2 dimensions)" in html
    assert "this wave has 12" in html
    assert viewer.get(reverse("reports:drivers_chart") + "?survey=pulse").status_code == 404


def test_drivers_need_a_declared_overall_question(viewer, pulse):
    Question.objects.filter(overall_measure=True).update(overall_measure=False)
    html = viewer.get(reverse("reports:drivers") + "?survey=pulse").content.decode()
    assert "This survey has no overall question" in html


def test_drivers_show_importance_with_intervals_on_enough_people(viewer, pulse):
    reliable, quick, overall = pulse["questions"]
    wave = pulse["waves"][-1]
    for number in range(30):
        first, second = 1 + number % 5, 1 + (number * 7 // 3) % 5
        # The overall answer follows Responsiveness closely, Reliability hardly.
        add_response(wave, {reliable: first, quick: second, overall: min(5, second + number % 2)})
    page = viewer.get(reverse("reports:drivers") + "?survey=pulse")
    result = page.context["result"]
    assert result.reason is None and result.respondents == 42
    assert result.drivers[0].measure.label == "Responsiveness"
    assert sum(d.importance for d in result.drivers) == pytest.approx(1.0)
    assert all(d.low <= d.importance <= d.high for d in result.drivers)
    again = viewer.get(reverse("reports:drivers") + "?survey=pulse").context["result"]
    assert [(d.low, d.high) for d in again.drivers] == [(d.low, d.high) for d in result.drivers]
    html = page.content.decode()
    assert "Responsiveness" in html and 'id="drivers-table"' in html
    chart = viewer.get(reverse("reports:drivers_chart") + "?survey=pulse")
    assert chart.status_code == 200 and b"Responsiveness: importance" in chart.content


def test_unknown_wave_on_the_drivers_page_is_a_note_not_an_error(viewer, pulse):
    page = viewer.get(reverse("reports:drivers") + "?survey=pulse&wave=<b>nope</b>")
    assert page.status_code == 200
    assert "There is no wave “&lt;b&gt;nope&lt;/b&gt;”" in page.content.decode()


def test_the_demo_has_a_self_view_and_an_overall_question_and_both_pages_show_them(viewer):
    from surveys import demo

    demo.build(timezone.now())
    survey = Survey.objects.get(slug="it-service")
    assert survey.waves.self_views().count() == survey.waves.of_users().count() == 4
    assert survey.questions.filter(overall_measure=True, dimension="").count() == 1
    gap_page = viewer.get(reverse("reports:gap") + "?survey=it-service")
    found = gap_page.context["gap"]
    dimensions = [row.measure.label for row in found.blind_spots if row.measure.kind == "dimension"]
    # IT overrates both; the demo's ticket change lifted users' Responsiveness from the
    # third wave on (the actions page measures it), which narrowed that gap.
    assert dimensions[0] == "Reliability"
    closing = {t.measure.label: t for t in found.trends}
    responsiveness = closing["Responsiveness"].points
    assert len(responsiveness) == 4  # the open wave's figures are published too
    assert responsiveness[-1].gap < responsiveness[0].gap - 0.3
    drivers_page = viewer.get(reverse("reports:drivers") + "?survey=it-service")
    result = drivers_page.context["result"]
    assert result.reason is None
    assert result.drivers[0].measure.label == "Responsiveness"
    html = drivers_page.content.decode()
    assert "Fix first:" in html or "No dimension is both" in html


def test_drivers_wait_for_an_open_wave_to_close(viewer, pulse):
    """An open wave's frame would shift with each batch; importance waits for its close."""
    reliable, quick, overall = pulse["questions"]
    wave = make_wave(pulse["survey"], "open", label="2026 Q3")
    for number in range(30):
        add_response(wave, {reliable: 1 + number % 5, quick: 1 + number % 4, overall: 1 + number % 5})
    page = viewer.get(reverse("reports:drivers") + "?survey=pulse&wave=2026 Q3")
    assert "This wave is still open" in page.content.decode()
    assert viewer.get(reverse("reports:drivers") + "?survey=pulse").context["result"].wave == "2026 Q2"

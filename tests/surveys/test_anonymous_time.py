"""Anonymous surveys keep time only as coarse as needed: the response's date, and for a
personal link only that it was answered, never when or which response it gave."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from surveys import services
from surveys.models import Invitation, Question, Response, Survey
from tests.factories import add_question, make_survey, make_wave

PARIS = ZoneInfo("Europe/Paris")


def local_time_of_day(moment: datetime) -> time:
    return timezone.localtime(moment).time()


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Paris")
def test_an_anonymous_open_link_response_stores_the_date_without_a_time_of_day(client):
    survey = make_survey()
    question = add_question(survey, Question.RATING_5)
    make_wave(survey)
    client.post(f"/s/{survey.slug}/", {f"q{question.pk}": "4"})
    response = Response.objects.get()
    assert local_time_of_day(response.submitted) == time(0, 0)
    assert timezone.localdate(response.submitted) == timezone.localdate()


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Paris")
def test_the_stored_date_is_the_local_date_not_the_utc_one():
    """23:30 UTC on 1 March is already 2 March in Paris: 2 March, midnight in Paris, is kept."""
    survey = make_survey()
    question = add_question(survey, Question.RATING_5)
    wave = make_wave(survey)
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("UTC"))
    response = services.response_submit(wave=wave, answers={question: 3}, now=moment)
    response.refresh_from_db()
    assert response.submitted == datetime(2026, 3, 2, 0, 0, tzinfo=PARIS)


@pytest.mark.django_db
def test_an_anonymous_personal_link_keeps_no_time_and_no_link_to_the_response(client):
    survey = make_survey()
    question = add_question(survey, Question.RATING_5)
    issued = services.invitation_issue(wave=make_wave(survey), email="ana@example.org")
    client.post(f"/s/i/{issued.token}/", {f"q{question.pk}": "5"})
    invitation = Invitation.objects.get()
    response = Response.objects.get()
    assert invitation.answered
    assert invitation.used_at is None
    assert response.invitation is None
    assert local_time_of_day(response.submitted) == time(0, 0)


@pytest.mark.django_db
@pytest.mark.parametrize("anonymity", [Survey.PSEUDONYMOUS, Survey.IDENTIFIED])
def test_pseudonymous_and_identified_surveys_keep_the_exact_time(anonymity):
    survey = make_survey(anonymity=anonymity)
    question = add_question(survey, Question.RATING_5)
    issued = services.invitation_issue(wave=make_wave(survey), email="ana@example.org")
    moment = timezone.now().replace(hour=14, minute=37, second=5, microsecond=0)
    response = services.response_submit(
        wave=issued.invitation.wave, answers={question: 2}, invitation=issued.invitation, now=moment
    )
    issued.invitation.refresh_from_db()
    assert response.submitted == moment
    assert issued.invitation.used_at == moment


@pytest.mark.django_db
def test_imported_anonymous_responses_keep_only_their_dates():
    from io import StringIO
    from pathlib import Path

    from django.core.management import call_command

    path = Path(__file__).parent / "fixtures" / "jupyter-2016-education-responses.csv"
    call_command("import_responses", str(path), "--survey", "jupyter", stdout=StringIO())
    stamps = list(Response.objects.values_list("submitted", flat=True))
    assert len(stamps) > 10
    assert {local_time_of_day(s) for s in stamps} == {time(0, 0)}
    wave = Survey.objects.get(slug="jupyter").waves.get()
    assert local_time_of_day(wave.opens) == time(0, 0)
    assert local_time_of_day(wave.closes) == time(23, 59, 59)


@pytest.mark.django_db
def test_the_response_admin_shows_only_the_date_of_an_anonymous_response(admin_client):
    survey = make_survey()
    question = add_question(survey, Question.RATING_5)
    wave = make_wave(survey)
    response = services.response_submit(wave=wave, answers={question: 3})
    # Even a row stored before the change, with a time, is shown as a date.
    Response.objects.filter(pk=response.pk).update(
        submitted=timezone.localtime().replace(hour=9, minute=41, second=0)
    )
    listing = admin_client.get("/admin/surveys/response/").content.decode()
    detail = admin_client.get(f"/admin/surveys/response/{response.pk}/change/").content.decode()
    day = f"{timezone.localdate():%Y-%m-%d}"
    for html in (listing, detail):
        assert day in html
        assert "09:41" not in html and "9:41" not in html


@pytest.mark.django_db(transaction=True)
@override_settings(TIME_ZONE="Europe/Paris")
def test_the_migration_truncates_anonymous_times_and_forgets_when_links_were_used():
    """Forward from 0006: anonymous rows lose their time of day, the others keep it."""
    executor = MigrationExecutor(connection)
    before, after = [("surveys", "0006_answer_indexes")], [("surveys", "0008_privacy_existing_data")]
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        Survey_, Wave_ = old.get_model("surveys", "Survey"), old.get_model("surveys", "Wave")
        Response_, Invitation_ = old.get_model("surveys", "Response"), old.get_model("surveys", "Invitation")
        moment = datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("UTC"))  # 2 March, 00:30 in Paris
        rows = {}
        for anonymity in ("anonymous", "pseudonymous"):
            survey = Survey_.objects.create(title=anonymity, slug=f"m-{anonymity}", anonymity=anonymity)
            wave = Wave_.objects.create(
                survey=survey,
                label="W",
                opens=datetime(2026, 2, 1, tzinfo=PARIS),
                closes=moment.replace(month=4),
            )
            rows[anonymity] = (
                Response_.objects.create(wave=wave, respondent_key=anonymity, submitted=moment).pk,
                Invitation_.objects.create(
                    wave=wave, email_hash=anonymity, token_hash=anonymity, used_at=moment
                ).pk,
                Invitation_.objects.create(
                    wave=wave, email_hash=f"{anonymity}-2", token_hash=f"{anonymity}-2"
                ).pk,
            )

        executor.loader.build_graph()
        executor.migrate(after)
        new = executor.loader.project_state(after).apps
        Response_, Invitation_ = new.get_model("surveys", "Response"), new.get_model("surveys", "Invitation")

        response, used, unused = rows["anonymous"]
        assert Response_.objects.get(pk=response).submitted == datetime(2026, 3, 2, tzinfo=PARIS)
        assert (Invitation_.objects.get(pk=used).answered, Invitation_.objects.get(pk=used).used_at) == (
            True,
            None,
        )
        assert Invitation_.objects.get(pk=unused).answered is False

        response, used, unused = rows["pseudonymous"]
        assert Response_.objects.get(pk=response).submitted == moment
        assert (Invitation_.objects.get(pk=used).answered, Invitation_.objects.get(pk=used).used_at) == (
            True,
            moment,
        )
        assert Invitation_.objects.get(pk=unused).answered is False
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db
@override_settings(TIME_ZONE="Asia/Tokyo")
def test_coverage_shows_the_local_day_a_wave_closed_never_a_response_day():
    """Coverage dates a department by its wave's last local day, not the UTC day before."""
    from reports.coverage import department_coverage
    from surveys.models import Wave
    from tests.factories import make_departments

    (finance,) = make_departments("Finance")
    survey = make_survey()
    question = add_question(survey, Question.RATING_5)
    tokyo = ZoneInfo("Asia/Tokyo")
    wave = Wave.objects.create(
        survey=survey,
        label="March",
        opens=datetime(2026, 3, 1, 9, 0, tzinfo=tokyo),
        closes=datetime(2026, 3, 20, 8, 0, tzinfo=tokyo),  # 19 March in UTC
    )
    for _ in range(survey.self_reported_threshold()):  # picked on the open link: 2k to show
        services.response_submit(
            wave=wave, answers={question: 3}, department=finance, now=datetime(2026, 3, 2, 10, tzinfo=tokyo)
        )
    (row,) = department_coverage(datetime(2026, 4, 1).date())
    assert row.last_heard.isoformat() == "2026-03-20"


# Zones with a clock change at midnight, one whose skipped hour ends at midnight (Nuuk:
# 23:00 becomes 00:00), a 30-minute change, and a whole day skipped (Samoa, 30 December
# 2011), besides an ordinary one: wherever a time might land on another day.
CLOCK_CHANGES = [
    "Europe/Paris",
    "America/Nuuk",
    "Asia/Dhaka",
    "America/Santiago",
    "America/Havana",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "Asia/Tehran",
]


@given(
    zone=st.sampled_from(CLOCK_CHANGES),
    moments=st.lists(
        st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2027, 12, 31)),
        min_size=1,
        max_size=40,
    )
    | st.lists(
        # Around the changes themselves, where a time can move to another day.
        st.sampled_from(
            [datetime(2011, 12, 29, 23, 30), datetime(2011, 12, 30, 0, 30), datetime(2011, 12, 30, 12)]
        )
        | st.datetimes(min_value=datetime(2024, 9, 7, 22), max_value=datetime(2024, 9, 8, 2))
        | st.datetimes(min_value=datetime(2024, 3, 30, 22), max_value=datetime(2024, 3, 31, 2))
        | st.datetimes(min_value=datetime(2009, 6, 19, 22), max_value=datetime(2009, 6, 20, 2))
        | st.datetimes(min_value=datetime(2024, 3, 9, 22), max_value=datetime(2024, 3, 10, 2)),
        min_size=1,
        max_size=40,
    ),
)
@hypothesis_settings(max_examples=100, deadline=None)
def test_an_imports_times_converted_day_by_day_are_each_times_own(zone, moments):
    """``submission_times`` converts each day of naive times once: always the very
    values ``submission_time`` gives one by one, offsets included."""
    survey = Survey(anonymity=Survey.ANONYMOUS)
    with timezone.override(ZoneInfo(zone)):
        # Naive, aware in the current zone (as an import makes them), aware elsewhere.
        here = [m.replace(tzinfo=timezone.get_current_timezone()) for m in moments]
        elsewhere = [m.replace(tzinfo=ZoneInfo("Asia/Kolkata")) for m in moments]
        for given_moments in (moments, here, elsewhere, moments + here + elsewhere):
            expected = [survey.submission_time(moment) for moment in given_moments]
            got = survey.submission_times(given_moments)
            assert got == expected
            assert [(m.utcoffset(), m.tzinfo) for m in got] == [(m.utcoffset(), m.tzinfo) for m in expected]

"""The public survey costs a fixed number of queries, however many questions it has."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from perception.models import Department, SiteSettings, forget_recent_rows
from surveys import services
from surveys.models import Answer, Question, Response
from tests.factories import add_question, make_departments, make_survey, make_wave

pytestmark = pytest.mark.django_db

KINDS = [Question.RATING_5, Question.RATING_7, Question.SCALE_10, Question.SINGLE, Question.MULTIPLE]

# A page: the survey with its waves (one query), the questions with their options (one
# query of plain values, also the key of their kept drawing), the departments on offer (one
# query: the audience, or all) and the site settings (once, for the page layout and the
# group threshold; a process reads them at most every few seconds); the first visitor and
# later ones alike. A submission: the same reads
# but the site settings, then the response, its answers and its scores (three inserts,
# scored in memory with no read) inside one transaction. A personal link reads its
# invitation instead of the survey, and claims it. The first answers to a question also
# say so (``Question.answered``): one more statement, once per survey, not counted here.
MOST_QUERIES = {"get": 4, "get_again": 4, "post": 8, "personal_post": 9}


def as_after_a_first_response(survey) -> None:
    survey.questions.update(answered=True)


def survey_of(size: int, slug: str = "pulse"):
    """An open survey asking the department, with ``size`` questions of every kind (choices
    included) and a free-text one last."""
    survey = make_survey(slug=slug, ask_department=True)
    wave = make_wave(survey)
    make_departments("Finance", "Sales")
    questions = []
    for n in range(size):
        kind = KINDS[n % len(KINDS)] if n < size - 1 else Question.TEXT
        choices = ["Email", "Chat", "Phone"] if kind in (Question.SINGLE, Question.MULTIPLE) else ()
        questions.append(add_question(survey, kind, choices=choices))
    return survey, wave, questions


def answers_for(questions: list[Question]) -> dict:
    """A complete set of answers: the top of each scale, choices, a comment, a department."""
    data = {}
    for question in questions:
        name = f"q{question.pk}"
        if question.is_numeric:
            data[name] = str(question.scale[1])
        elif question.kind == Question.SINGLE:
            data[name] = str(question.choices.first().pk)
        elif question.kind == Question.MULTIPLE:
            data[name] = [str(c.pk) for c in question.choices.all()[:2]]
        else:
            data[name] = "Faster laptops."
    data["department"] = str(Department.objects.get(name="Sales").pk)
    return data


def queries_of(call) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        page = call()
    assert page.status_code in (200, 302), page.status_code
    return [query["sql"] for query in captured.captured_queries]


def visit_and_answer(link: str, data: dict) -> tuple[list[str], list[str]]:
    browser = Client()
    return queries_of(lambda: browser.get(link)), queries_of(lambda: browser.post(link, data))


def test_open_link_page_and_submission_take_few_queries(django_assert_max_num_queries):
    """25 questions with choices: a bounded number of queries for the page and for the answers."""
    survey, _, questions = survey_of(25)
    as_after_a_first_response(survey)
    browser, data = Client(), answers_for(questions)
    with django_assert_max_num_queries(MOST_QUERIES["get"]):
        assert browser.get(f"/s/{survey.slug}/").status_code == 200
    with django_assert_max_num_queries(MOST_QUERIES["get_again"]):
        assert Client().get(f"/s/{survey.slug}/").status_code == 200
    with django_assert_max_num_queries(MOST_QUERIES["post"]):
        assert browser.post(f"/s/{survey.slug}/", data).status_code == 302
    ticked = sum(len(v) if isinstance(v, list) else 1 for k, v in data.items() if k != "department")
    assert Answer.objects.filter(response=Response.objects.get()).count() == ticked


def test_personal_link_page_and_submission_take_few_queries(django_assert_max_num_queries):
    """The same bound holds through a personal link, which also claims the invitation."""
    survey, wave, questions = survey_of(25)
    as_after_a_first_response(survey)
    token = services.invitation_issue(wave=wave, email="ana@example.org").token
    browser, data = Client(), answers_for(questions)
    with django_assert_max_num_queries(MOST_QUERIES["get"]):
        assert browser.get(f"/s/i/{token}/").status_code == 200
    with django_assert_max_num_queries(MOST_QUERIES["personal_post"]):
        assert browser.post(f"/s/i/{token}/", data).status_code == 302
    assert Response.objects.get().source == Response.LINK


@pytest.mark.parametrize("link", ["open", "personal"])
def test_queries_do_not_grow_with_the_number_of_questions(link):
    """Five questions or twenty-five: the same queries on the page and on submission."""
    counts = []
    for size, slug in [(5, "short"), (25, "long")]:
        forget_recent_rows()  # each page reads the site settings, as the first in a while does
        _, wave, questions = survey_of(size, slug=slug)
        address = (
            f"/s/{slug}/"
            if link == "open"
            else f"/s/i/{services.invitation_issue(wave=wave, email=f'{slug}@example.org').token}/"
        )
        page, submission = visit_and_answer(address, answers_for(questions))
        counts.append((len(page), len(submission)))
    assert counts[0] == counts[1]


def test_a_submission_inserts_its_answers_in_one_statement_inside_one_transaction():
    """All answers of a response go in one INSERT, inside the transaction that stores the response."""
    survey, _, questions = survey_of(25)
    _, submission = visit_and_answer(f"/s/{survey.slug}/", answers_for(questions))
    writes = [sql for sql in submission if not sql.startswith("SELECT")]
    assert len([sql for sql in writes if sql.startswith('INSERT INTO "surveys_answer"')]) == 1
    assert writes[0].startswith("SAVEPOINT") and writes[-1].startswith("RELEASE")


def test_the_questions_read_by_plain_sql_are_the_ones_the_orm_reads():
    """The public page's one plain query gives every field of every question on the form
    and of its options, in form order, with the same values and types as the ORM (JSON
    decoded, booleans as booleans); retired questions are left out."""
    from surveys.models import CHOICE_FIELDS, QUESTION_FIELDS
    from surveys.views import _drawn_questions

    survey, _, _ = survey_of(10)
    add_question(
        survey,
        Question.RATING,
        scale_low=0,
        scale_high=4,
        scale_labels=["None", "Some", "Half", "Most", "All"],
        reverse_scored=True,
        required=True,
        dimension="Speed",
        dont_know_label="Don't know",
    )
    add_question(survey, Question.RATING_5, retired=True)

    def fields(question) -> list:
        values = [getattr(question, name) for name in QUESTION_FIELDS]
        values += [getattr(choice, name) for choice in question.choices.all() for name in CHOICE_FIELDS]
        return [(value, type(value)) for value in values]

    built = _drawn_questions(survey, "en").questions()
    expected = list(survey.questions.filter(retired=False).prefetch_related("choices"))
    assert [fields(q) for q in built] == [fields(q) for q in expected]
    assert len(built) == 11 and any(q.choices.all() for q in built)


def test_the_survey_and_its_users_waves_read_by_plain_sql_are_the_ones_the_orm_reads():
    """Every field with the ORM's values and types (dates as aware datetimes, booleans as
    booleans), the users' waves by opening and no IT self-view wave; nothing for an
    unknown slug."""
    from surveys.models import Survey, Wave, survey_with_user_waves

    survey, wave, _ = survey_of(3)
    earlier = make_wave(survey, "closed", label="Earlier")
    Wave.objects.create(
        survey=survey, label="IT view", opens=wave.opens, closes=wave.closes, self_view_of=wave
    )

    def fields(instance) -> list:
        return [
            (getattr(instance, f.attname), type(getattr(instance, f.attname)))
            for f in instance._meta.concrete_fields
        ]

    read, waves = survey_with_user_waves(survey.slug)
    assert fields(read) == fields(Survey.objects.get(pk=survey.pk))
    assert [fields(w) for w in waves] == [fields(w) for w in (earlier, Wave.objects.get(pk=wave.pk))]
    assert all(w.survey is read for w in waves)
    assert survey_with_user_waves("no-such-survey") == (None, [])


def test_the_first_answers_to_a_question_mark_it_answered_and_later_ones_cost_nothing_more():
    """A question's first answer says it has answers (what the builder asks before changing
    it in place), in the submission's transaction; later submissions leave it alone."""
    survey, _, questions = survey_of(5)
    data = answers_for(questions)
    first = queries_of(lambda: Client().post(f"/s/{survey.slug}/", data))
    assert set(survey.questions.values_list("answered", flat=True)) == {True}
    updates = [sql for sql in first if sql.startswith('UPDATE "surveys_question"')]
    assert len(updates) == 1
    assert first.index(updates[0]) < first.index(next(q for q in first if q.startswith("RELEASE")))
    later = queries_of(lambda: Client().post(f"/s/{survey.slug}/", data))
    assert not [sql for sql in later if "surveys_question" in sql and not sql.startswith("SELECT")]


def test_a_process_reads_the_site_settings_for_pages_at_most_every_few_seconds(monkeypatch):
    """Every page shows the site settings: a process reads them once in a while, not for
    each page, and its own change shows at once."""
    from django.http import HttpRequest

    from perception import models

    survey, _, _ = survey_of(5)
    SiteSettings(organisation_name="Ours").save()
    clock = [1000.0]
    monkeypatch.setattr(models.time, "monotonic", lambda: clock[0])

    def reads() -> int:
        page = queries_of(lambda: Client().get(f"/s/{survey.slug}/"))
        return len([sql for sql in page if "sitesettings" in sql])

    def shown() -> str:
        return SiteSettings.for_request(HttpRequest()).organisation_name

    assert (reads(), reads()) == (1, 0)
    SiteSettings.objects.update(organisation_name="Renamed elsewhere")  # another process's change
    assert shown() != "Renamed elsewhere"
    clock[0] += models.RECENT_ROW_SECONDS
    assert reads() == 1 and shown() == "Renamed elsewhere"
    site = SiteSettings.load()
    site.organisation_name = "Renamed here"
    site.save()
    assert shown() == "Renamed here"

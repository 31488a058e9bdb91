"""Whether a question has answers is kept on the question (``Question.answered``), since
the answers have no index by question for numbers: every writer of answers sets it, the
builder reads it instead of the answers, and what is still read from the answers by
question (comments, ticked options) uses the partial index that remains."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from reports import disclosure, queries
from surveys import services
from surveys.bulk import CHOICES, NUMBER, TEXT, insert_answer_columns, insert_numeric_answers
from surveys.models import Answer, Question, Response, Survey
from tests.factories import add_question, add_response, make_survey, make_user, make_wave

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="reads SQLite's query plan; PostgreSQL scans a test's few rows whatever the indexes "
    "(CI runs the suite on SQLite too)",
)


def answered(*questions: Question) -> list[bool]:
    return [Question.objects.get(pk=q.pk).answered for q in questions]


@pytest.mark.django_db
def test_every_writer_of_answers_marks_their_questions_and_only_theirs():
    survey = make_survey()
    rating, other, pick, comment, never = (
        add_question(survey, kind, choices=["A", "B"] if kind == Question.SINGLE else ())
        for kind in (Question.RATING_5, Question.RATING_5, Question.SINGLE, Question.TEXT, Question.RATING_5)
    )
    wave = make_wave(survey)
    assert answered(rating, other, pick, comment, never) == [False] * 5
    # An answer saved through the ORM (as the tests' factories do).
    add_response(wave, {rating: 4})
    assert answered(rating, other) == [True, False]
    # A batch of numbers (the benchmarks' generator).
    first = add_response(wave, {})
    insert_numeric_answers([first.pk], [other.pk], [3.0])
    assert answered(other) == [True]
    # An import's columns: a column with no answer at all marks nothing.
    second = add_response(wave, {})
    choice = pick.choices.first().pk
    insert_answer_columns(
        [second.pk],
        [(CHOICES, pick.pk, [(choice,)]), (TEXT, comment.pk, [""]), (NUMBER, never.pk, [None])],
    )
    assert answered(pick, comment, never) == [True, False, False]


@pytest.mark.django_db
def test_a_submission_marks_what_it_answered_and_not_what_it_skipped(client):
    survey = make_survey(slug="marks")
    asked, skipped = add_question(survey, Question.RATING_5), add_question(survey, Question.TEXT)
    make_wave(survey)
    assert client.post(f"/s/{survey.slug}/", {f"q{asked.pk}": "4"}).status_code == 302
    assert Response.objects.count() == 1
    assert answered(asked, skipped) == [True, False]


@pytest.mark.django_db
def test_the_builder_asks_the_question_not_its_answers(client):
    """The builder page, a question's edit page and its removal read no answer; an answered
    question is still versioned, an unanswered one changed in place or deleted."""
    manager = make_user("manager", "Managers")
    client.force_login(manager)
    survey = services.survey_create(
        title="Pulse", intro="", anonymity=Survey.ANONYMOUS, min_group_size=5, owner=manager
    )
    kept, dropped = add_question(survey, Question.RATING_5, text="Kept"), add_question(survey, Question.TEXT)
    add_response(make_wave(survey), {kept: 4})
    pages = [f"/surveys/{survey.slug}/", f"/surveys/{survey.slug}/questions/{kept.pk}/"]
    pages += [f"/surveys/{survey.slug}/questions/{dropped.pk}/remove/"]
    with CaptureQueriesContext(connection) as captured:
        for page in pages:
            assert client.get(page).status_code == 200
        assert client.post(pages[2]).status_code == 302
    assert not [q["sql"] for q in captured.captured_queries if '"surveys_answer"' in q["sql"]]
    assert not Question.objects.filter(pk=dropped.pk).exists()
    assert client.post(f"/surveys/{survey.slug}/questions/{kept.pk}/remove/").status_code == 302
    assert Question.objects.get(pk=kept.pk).retired and Answer.objects.count() == 1


@pytest.mark.django_db
def test_deleting_a_survey_takes_its_answers_with_its_responses():
    """Nothing cascades from a question to answers any more: a survey's answers go with its
    responses, and no key is left pointing at a deleted question."""
    survey = make_survey(slug="gone")
    rating, pick = (
        add_question(survey, Question.RATING_5),
        add_question(survey, Question.SINGLE, choices=["A"]),
    )
    response = add_response(make_wave(survey), {rating: 2})
    Answer.objects.create(response=response, question=pick, choice=pick.choices.get())
    keep = make_survey(slug="kept")
    add_response(make_wave(keep), {add_question(keep, Question.RATING_5): 5})
    survey.delete()
    connection.check_constraints()
    assert Answer.objects.count() == 1 and Question.objects.filter(survey__slug="gone").count() == 0


@sqlite_only
@pytest.mark.django_db
def test_comments_and_ticked_options_are_read_by_the_index_by_question():
    """The coding queue's comments and the ticked options read by question name
    ``number IS NULL``, which the partial index needs before the database will use it."""
    survey = make_survey()
    pick, comment = add_question(survey, Question.SINGLE, choices=["A"]), add_question(survey, Question.TEXT)
    wave = make_wave(survey)
    for _ in range(survey.group_threshold()):
        add_response(wave, {comment: "Hi"})
    ids = list(Response.objects.values_list("pk", flat=True))
    kept = queries.kept_frame(Response.objects.all())
    disclosure.ensure_all_published()  # the queue offers published authors' comments
    with CaptureQueriesContext(connection) as captured:
        assert Answer.objects.awaiting_coding().count() == len(ids)
        assert queries.ticked_choices(kept, [pick, comment]) == set()
    plans = []
    for query in captured.captured_queries:
        if '"surveys_answer"' in query["sql"]:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN QUERY PLAN {query['sql']}")
                plans.append(" ".join(str(row) for row in cursor.fetchall()))
    assert len(plans) >= 2 and all("answer_unscored_by_question" in plan for plan in plans), plans


@pytest.mark.django_db(transaction=True)
def test_the_migration_marks_the_questions_that_already_have_answers():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    before, after = (
        [("surveys", "0017_invitation_department_verified")],
        [("surveys", "0018_question_answered_unscored_index")],
    )
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        Survey, Question, Wave = (old.get_model("surveys", name) for name in ("Survey", "Question", "Wave"))
        Response, Answer = old.get_model("surveys", "Response"), old.get_model("surveys", "Answer")
        survey = Survey.objects.create(title="Old", slug="old-0017")
        asked = Question.objects.create(survey=survey, text="Asked", kind="rating_5", order=1)
        ticked = Question.objects.create(survey=survey, text="Ticked", kind="single", order=2)
        quiet = Question.objects.create(survey=survey, text="Quiet", kind="rating_5", order=3)
        from django.utils import timezone

        wave = Wave.objects.create(survey=survey, label="W", opens=timezone.now(), closes=timezone.now())
        response = Response.objects.create(wave=wave, respondent_key="k", submitted=timezone.now())
        Answer.objects.create(response=response, question=asked, number=3)
        Answer.objects.create(response=response, question=ticked, text="")
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("surveys", "Question")
        assert [new.objects.get(pk=q.pk).answered for q in (asked, ticked, quiet)] == [True, True, False]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
        call_command("flush", interactive=False, stdout=StringIO())


@pytest.mark.django_db
def test_the_admin_site_deletes_no_answered_question(admin_client):
    """Answers keep pointing at their question (nothing cascades from it): the admin site
    offers to delete only unanswered questions, one at a time, not from a survey's page."""
    from surveys.admin import QuestionInline

    survey = make_survey()
    kept, spare = add_question(survey, Question.RATING_5), add_question(survey, Question.RATING_5)
    add_response(make_wave(survey), {kept: 3})
    assert admin_client.get(f"/admin/surveys/question/{kept.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/surveys/question/{kept.pk}/delete/", {"post": "yes"}).status_code == 403
    assert (
        admin_client.post(f"/admin/surveys/question/{spare.pk}/delete/", {"post": "yes"}).status_code == 302
    )
    assert list(survey.questions.values_list("pk", flat=True)) == [kept.pk]
    listing = admin_client.get("/admin/surveys/question/")
    assert "delete_selected" not in listing.content.decode()
    assert QuestionInline.can_delete is False


@pytest.mark.django_db
def test_saving_a_question_never_writes_back_that_it_had_no_answers():
    survey = make_survey()
    question = add_question(survey, Question.RATING_5, text="Before")
    Question.objects.filter(pk=question.pk).update(answered=True)  # a first answer meanwhile
    question.text = "After"
    question.save()
    assert Question.objects.filter(pk=question.pk).values_list("text", "answered").get() == ("After", True)


@pytest.mark.django_db
def test_an_import_marks_its_questions_only_once_its_answers_are_stored(monkeypatch):
    """A large import takes its table locks as it stores the answers (PostgreSQL), in the
    order submissions take them; were it to mark the questions before, it would hold their
    rows while waiting for those locks, behind a submission waiting for the same rows."""
    from surveys import bulk

    survey = make_survey()
    rating = add_question(survey, Question.RATING_5)
    response = add_response(make_wave(survey), {})
    steps = []
    for name in ("_copy_answers", "_insert_answers", "mark_answered"):
        original = getattr(bulk, name)
        monkeypatch.setattr(bulk, name, lambda *a, _f=original, _n=name, **k: steps.append(_n) or _f(*a, **k))
    bulk.insert_answer_columns([response.pk], [(NUMBER, rating.pk, [4.0])], meanwhile=lambda: None)
    assert steps[-1] == "mark_answered" and len(steps) == 2
    assert answered(rating) == [True]

"""The organisation-wide trends document kept in the database (``StoredDocument``): read
by every process while nothing it depends on has changed, built afresh the moment
something has, and never a way to see figures the current rules would not show."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from conversations.models import Note
from perception.models import Department, Theme
from reports import cache as documents
from reports.models import StoredDocument
from surveys.models import Answer, Question
from tests.factories import add_question, add_response, make_conversation, make_survey, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    survey = make_survey(slug="kept", title="Kept")
    rating = add_question(survey, Question.RATING_5, text="IT is reliable")
    comment = add_question(survey, Question.TEXT, text="What should IT change?")
    sales, finance = Department.objects.create(name="Sales"), Department.objects.create(name="Finance")
    for label in ("Spring", "Autumn"):
        wave = make_wave(survey, "closed", label=label)
        for number in range(14):
            answers = {rating: 1 + number % 5, comment: f"Laptops are slow ({number})"}
            add_response(wave, answers, department=sales if number < 7 else finance)
    note = Note.objects.create(conversation=make_conversation(days_ago=10), text="Slow laptops")
    note.themes.add(Theme.objects.named("Hardware"))
    # Enough voices for the theme to be shown (at least the minimum group size).
    for answer in Answer.objects.filter(text__startswith="Laptops").order_by("pk")[:9]:
        answer.themes.add(Theme.objects.named("Hardware"))
    call_command("publish_figures", stdout=StringIO())
    return survey


@pytest.fixture
def builds(monkeypatch):
    """How many times a document was computed (not read back)."""
    built = []
    real = documents.build
    monkeypatch.setattr(
        documents, "build", lambda *args, **kwargs: built.append(args[1:]) or real(*args, **kwargs)
    )
    return built


def trends_json(*options) -> str:
    out = StringIO()
    call_command("trends", "--survey", "kept", "--json", *options, stdout=out)
    return out.getvalue().rstrip("\n")  # the command ends its output with a newline


def test_publishing_stores_the_document_and_a_new_process_reads_it_without_computing(survey, builds):
    stored = StoredDocument.objects.get(survey=survey)
    cache.clear()  # a new process, a restarted server: nothing in memory
    document = documents.trends_document(survey)
    assert builds == []
    assert document == json.loads(stored.text)
    assert [w["label"] for w in document["waves"]] == ["Spring", "Autumn"]
    assert trends_json() == stored.text
    assert builds == []


def test_the_stored_document_is_what_computing_it_again_gives(survey):
    assert trends_json() == trends_json("--fresh")
    assert trends_json() == documents.dumps(documents.build(survey, None, None, None))


# Changes to what only the themes depend on: the figures stand, the themes are built again.
THEMES_ONLY = ("code a comment", "code a note", "edit a coded note", "rename a theme")


@pytest.mark.parametrize(
    "change",
    [
        "rename a wave",
        "rename a department",
        "retitle the survey",
        "reword a question",
        "raise the minimum group size",
        "a new publication",
        "a new publication and a coding",
        "new code",
        "a day later",
        *THEMES_ONLY,
    ],
)
def test_any_change_to_what_it_depends_on_builds_it_afresh(survey, builds, change, monkeypatch):
    before = documents.trends_text(survey)
    first_built = StoredDocument.objects.get(survey=survey).built
    assert builds == []
    hardware = Theme.objects.named("Hardware")
    if change == "rename a wave":
        survey.waves.filter(label="Autumn").update(label="Fall")
    elif change == "rename a department":
        Department.objects.filter(name="Sales").update(name="Revenue")
    elif change == "retitle the survey":
        type(survey).objects.filter(pk=survey.pk).update(title="Kept, renamed")
    elif change == "reword a question":
        survey.questions.filter(kind=Question.RATING_5).update(text="IT is dependable")
    elif change == "raise the minimum group size":
        type(survey).objects.filter(pk=survey.pk).update(min_group_size=10)
    elif change.startswith("a new publication"):
        wave = make_wave(survey, "closed", label="Winter")
        rating = survey.questions.get(kind=Question.RATING_5)
        for number in range(7):
            add_response(wave, {rating: 5 - number % 5})
        if change.endswith("and a coding"):
            Answer.objects.filter(text__startswith="Laptops").last().themes.add(hardware)
        call_command("publish_figures", stdout=StringIO())
    elif change == "code a comment":
        for answer in Answer.objects.filter(text__startswith="Laptops").order_by("pk")[9:14]:
            answer.themes.add(hardware)
    elif change == "code a note":
        note = Note.objects.create(conversation=make_conversation(days_ago=12), text="Old laptops")
        note.themes.add(hardware)
    elif change == "edit a coded note":
        Note.objects.update(sentiment=Note.POSITIVE)
    elif change == "rename a theme":
        Theme.objects.filter(pk=hardware.pk).update(name="Laptops and desktops")
    elif change == "new code":
        monkeypatch.setattr(documents, "CODE_VERSION", "an upgrade")
    else:  # nothing it is known to depend on changed, but a stored document has an age limit
        StoredDocument.objects.update(built=timezone.now() - documents.STORED_MAX_AGE - timedelta(minutes=1))
    survey.refresh_from_db()
    cache.clear()
    built_before_reading = len(builds)  # publishing builds it for the next reader
    after = documents.trends_text(survey)
    if change not in ("new code", "a day later"):  # (the same document)
        assert after != before
    # Only the themes changed, or only what the themes depend on: the rest is as before.
    changed = {key for key, value in json.loads(after).items() if json.loads(before)[key] != value}
    assert (changed == {"themes"}) == (change in THEMES_ONLY)
    # A themes-only change builds the themes alone: the figures are not computed again.
    assert len(builds) == (0 if change in THEMES_ONLY else 1)
    assert built_before_reading == (1 if change.startswith("a new publication") else 0)
    assert after == documents.dumps(documents.build(survey, None, None, None))
    assert StoredDocument.objects.filter(survey=survey).count() == 1
    # The age limit counts from when the figures were built.
    assert (StoredDocument.objects.get(survey=survey).built == first_built) == (change in THEMES_ONLY)


def test_the_age_limit_counts_from_the_figures_however_often_the_themes_are_built_again(survey, builds):
    documents.trends_text(survey)
    StoredDocument.objects.update(built=timezone.now() - documents.STORED_MAX_AGE + timedelta(minutes=1))
    Note.objects.update(sentiment=Note.POSITIVE)
    documents.trends_text(survey)
    assert builds == []  # the themes alone, the figures still young enough
    StoredDocument.objects.update(built=timezone.now() - documents.STORED_MAX_AGE - timedelta(minutes=1))
    Note.objects.update(sentiment=Note.NEGATIVE)
    documents.trends_text(survey)
    assert len(builds) == 1  # the figures are too old: everything built again


def test_a_raised_minimum_group_size_is_never_answered_from_the_document_built_under_the_old_one(survey):
    """The attack: read the stored document after the threshold went up, hoping for the
    departments of 7 the old threshold showed."""
    shown = json.loads(documents.trends_text(survey))
    assert any(not d["suppressed"] for d in shown["departments"])
    type(survey).objects.filter(pk=survey.pk).update(min_group_size=10)
    survey.refresh_from_db()
    cache.clear()
    raised = json.loads(trends_json())
    assert raised["min_group_size"] == 10
    assert all(d["suppressed"] for d in raised["departments"])


def test_filtered_documents_are_cached_but_never_stored(survey, builds):
    sales = Department.objects.get(name="Sales")
    documents.trends_document(survey, department=sales)
    documents.trends_document(survey, department=sales)
    assert len(builds) == 1  # the second from the cache
    assert list(StoredDocument.objects.values_list("survey_id", flat=True)) == [survey.pk]
    stored = StoredDocument.objects.get()
    assert json.loads(stored.text)["filters"]["department"] is None


def test_the_document_is_json_shaped_whether_built_or_read_back(survey):
    cache.clear()
    StoredDocument.objects.all().delete()
    built = documents.trends_document(survey)
    cache.clear()
    read_back = documents.trends_document(survey)
    assert built == read_back
    assert json.loads(json.dumps(built)) == built


def test_reading_a_stored_document_needs_no_statistics_library():
    """scipy (0.15–0.4 s to import) is loaded on first use: the ``trends`` command reading
    a stored document, and a worker that has computed nothing, never load it; nor does
    the command load pandas (0.3–0.5 s)."""
    import os
    import subprocess
    import sys

    def loaded(modules: str, libraries: str) -> str:
        code = (
            f"import django, sys; django.setup(); import {modules}; "
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {libraries!r}.split()))"
        )
        env = os.environ | {"DJANGO_SETTINGS_MODULE": "perception.settings", "DEBUG": "1"}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    assert loaded("reports.cache, reports.queries, reports.views", "scipy") == "[]"
    # (pandas itself may stand in sys.modules, not yet loaded: its parts are not.)
    assert loaded("reports.cache, reports.management.commands.trends", "scipy pandas") in ("[]", "['pandas']")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: its default READ COMMITTED lets reads see later commits; a SQLite "
    "transaction always reads one state (CI runs this on PostgreSQL)",
)
@pytest.mark.django_db(transaction=True)
def test_a_document_is_built_from_one_state_of_the_database():
    """A publication committed while a document is being built must not mix its counts
    with the cells the older one showed: every read of the build sees the state its
    first read saw."""
    import psycopg

    from reports import queries

    settings_dict = connection.settings_dict
    other = psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        dbname=settings_dict["NAME"],
        autocommit=True,
    )
    try:
        with queries.snapshot():
            before = Department.objects.count()
            other.execute("INSERT INTO perception_department (name) VALUES ('Arrived meanwhile')")
            assert Department.objects.count() == before
        assert Department.objects.count() == before + 1
    finally:
        other.close()


@pytest.mark.parametrize("filtered", [False, True])
def test_what_is_due_is_published_before_a_build_never_inside_its_snapshot(survey, monkeypatch, filtered):
    """Publishing locks and writes waves; inside a REPEATABLE READ snapshot, a wave another
    reader had just published would fail the request instead of waiting for it."""
    from contextlib import contextmanager

    from reports import disclosure, queries

    inside, calls = [False], []
    real_snapshot, real_ensure = queries.snapshot, disclosure.ensure_published

    @contextmanager
    def watched_snapshot():
        outer, inside[0] = inside[0], True
        with real_snapshot():
            yield
        inside[0] = outer

    monkeypatch.setattr(queries, "snapshot", watched_snapshot)
    monkeypatch.setattr(disclosure, "ensure_published", lambda s: calls.append(inside[0]) or real_ensure(s))
    cache.clear()
    StoredDocument.objects.all().delete()
    department = Department.objects.get(name="Sales") if filtered else None
    documents.trends_document(survey, department=department)
    assert calls and not any(calls)


def test_themes_are_spliced_only_onto_figures_the_stored_fingerprint_itself_names(survey, builds):
    """During a rolling upgrade a process still on older code may write the row: its
    figures must never be taken for the current ones because some other column says so."""
    documents.trends_text(survey)
    older = json.loads(StoredDocument.objects.get(survey=survey).text)
    older["measures"][0]["label"] = "Figures built by older code"
    StoredDocument.objects.update(text=documents.dumps(older), fingerprint="0" * 32)  # older code's key
    Note.objects.update(sentiment=Note.POSITIVE)  # a themes-only change
    cache.clear()
    text = documents.trends_text(survey)
    assert len(builds) == 1  # the figures built again, not read from the older row
    assert "Figures built by older code" not in text


def test_a_recoding_committed_out_of_id_order_still_changes_the_themes(survey):
    """A recoding deletes a coding and inserts one; on PostgreSQL a row with a lower id can
    commit after a higher one, so the count and the highest id may end as they were."""
    coding = Answer.themes.through
    highest = coding.objects.order_by("-pk").first().pk
    spare = Answer.objects.filter(text__startswith="Laptops", themes__isnull=True).first()
    coding.objects.create(pk=highest + 2, answer_id=spare.pk, theme=Theme.objects.named("Hardware"))
    printing = Theme.objects.named("Printing")  # in the codebook already
    before = json.loads(documents.trends_text(survey))
    recoded = coding.objects.order_by("pk").first()
    recoded.delete()
    # Its new coding took the id before the one above, and committed after it.
    coding.objects.create(pk=highest + 1, answer_id=recoded.answer_id, theme=printing)
    cache.clear()
    after = json.loads(documents.trends_text(survey))
    assert after["themes"] != before["themes"]
    assert after == json.loads(documents.dumps(documents.build(survey, None, None, None)))

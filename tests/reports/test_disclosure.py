"""The disclosure rules (reports.disclosure) against a curious viewer: each test plays one
attack of issue 12 with what a viewer can open, and would have succeeded on live figures."""

import io
import json
import os
from datetime import timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from perception.models import Theme
from reports.disclosure import Member, plan_measure, suppress
from surveys.models import Answer, Question, Response
from tests.factories import (
    add_question,
    add_response,
    make_departments,
    make_past_waves,
    make_survey,
    make_user,
    make_wave,
)
from tests.properties import examples

K = 5


# -- Pure rules -----------------------------------------------------------------------


def test_two_small_groups_hidden_together_take_the_next_smallest_with_them():
    """Legal 2 + HR 2 hold 4 < k: Sales, the next smallest, is hidden too."""
    hidden, total = suppress({1: 2, 2: 2, 3: 10, 4: 12}, K)
    assert hidden == {1, 2, 3} and total


def test_no_department_is_a_cell_of_the_complement():
    """Three people gave no department: they are hidden and need a protecting cell."""
    hidden, total = suppress({None: 3, 1: 10, 2: 11}, K)
    assert hidden == {None, 1} and total


def test_self_reported_cells_need_2k_and_so_does_their_complement():
    """Padding an open-link department with four fakes must not unlock it."""
    hidden, _ = suppress({1: 6, 2: 20, 3: 30}, K, self_reported={1})
    assert 1 in hidden and 2 in hidden  # 6 < 2k; and 6 alone is too small a complement


def test_a_cell_once_shown_is_never_hidden_again_the_publication_waits():
    """Sales was shown; four of its answers deleted would leave 3 < k: nothing changes."""
    published = {r: Member(1, 3.0) for r in range(8)} | {r: Member(2, 4.0) for r in range(8, 20)}
    first_state, first = plan_measure({}, published, K, [])
    assert first.shown == {1, 2}
    live = {r: m for r, m in published.items() if r >= 5}
    state, decision = plan_measure(first_state, live, K, [first])
    assert state == first_state and decision.shown == {1, 2}


# -- Against the database ---------------------------------------------------------------


@pytest.fixture
def open_survey(db):
    """An open wave: 12 Finance, 7 Sales; an optional question nobody answered yet."""
    survey = make_survey(slug="pulse")
    rating = add_question(survey, Question.RATING_5, text="IT is reliable", dimension="Reliability")
    optional = add_question(survey, Question.RATING_5, text="Printers work")
    finance, sales = make_departments("Finance", "Sales")
    wave = make_wave(survey, "open", label="Now")
    for number in range(19):
        add_response(wave, {rating: 1 + number % 5}, department=finance if number < 12 else sales)
    return {"survey": survey, "wave": wave, "rating": rating, "optional": optional, "finance": finance}


def outputs(client) -> dict:
    """Everything a viewer can read about the survey: JSON, CSV, XLSX, page and counts."""
    out = StringIO()
    call_command("trends", "--survey", "pulse", "--json", stdout=out)
    xlsx = client.get(reverse("reports:export_xlsx") + "?survey=pulse").getvalue()  # a streamed file
    workbook = load_workbook(io.BytesIO(xlsx))
    page = client.get(reverse("reports:dashboard") + "?survey=pulse")
    return {
        "json": json.loads(out.getvalue()),
        "csv": client.get(reverse("reports:export_csv") + "?survey=pulse").getvalue().decode(),
        "xlsx": [list(row) for row in workbook.active.iter_rows(values_only=True)],
        "page": page.context["document"],
        "home": [row.responses for row in client.get(reverse("reports:home")).context["rows"]],
    }


def publish():
    call_command("publish_figures", stdout=StringIO())


def test_one_new_response_changes_nothing_in_csv_xlsx_page_json_or_counts(viewer, open_survey):
    """Export, one person answers, export again: identical everywhere."""
    before = outputs(viewer)
    assert before["json"]["waves"][0]["respondents"] == 19
    add_response(open_survey["wave"], {open_survey["rating"]: 5}, department=open_survey["finance"])
    publish()
    assert outputs(viewer) == before


def test_a_whole_batch_is_published_and_the_page_says_as_of_when(viewer, open_survey):
    outputs(viewer)
    for _ in range(K):
        add_response(open_survey["wave"], {open_survey["rating"]: 5}, department=open_survey["finance"])
    publish()
    after = outputs(viewer)
    assert after["json"]["waves"][0]["respondents"] == 19 + K
    assert (
        "next update after more responses"
        in viewer.get(reverse("reports:dashboard") + "?survey=pulse").content.decode()
    )


def test_an_edited_answer_changes_nothing_until_a_batch(viewer, open_survey):
    before = outputs(viewer)
    Answer.objects.filter(pk=Answer.objects.filter(question=open_survey["rating"]).first().pk).update(
        number=5
    )
    publish()
    assert outputs(viewer) == before


def test_a_deleted_response_changes_nothing(viewer, open_survey):
    before = outputs(viewer)
    Response.objects.filter(wave=open_survey["wave"]).order_by("pk").first().delete()
    publish()
    assert outputs(viewer) == before


def test_an_optional_item_answered_by_one_person_of_a_batch_waits_for_k_answerers(viewer, open_survey):
    outputs(viewer)
    wave, rating, optional = open_survey["wave"], open_survey["rating"], open_survey["optional"]
    add_response(wave, {rating: 4, optional: 2}, department=open_survey["finance"])
    for _ in range(K - 1):
        add_response(wave, {rating: 4}, department=open_survey["finance"])
    publish()
    document = outputs(viewer)["json"]
    assert document["waves"][0]["respondents"] == 19 + K  # the batch is in
    printers = next(m for m in document["measures"] if m["label"] == "Printers work")
    assert printers["waves"][0]["suppressed"] and printers["waves"][0]["n"] is None


def test_the_closing_remainder_is_left_out_for_good_and_said(viewer, open_survey):
    before = outputs(viewer)
    wave = open_survey["wave"]
    for _ in range(2):
        add_response(wave, {open_survey["rating"]: 5}, department=open_survey["finance"])
    wave.closes = timezone.now() - timedelta(minutes=1)
    wave.save(update_fields=["closes"])
    after = outputs(viewer)
    assert after["json"]["waves"][0]["respondents"] == before["json"]["waves"][0]["respondents"]
    assert after["json"]["waves"][0]["final"] and after["json"]["waves"][0]["left_out"] == 2
    assert "left out for good" in viewer.get(reverse("reports:dashboard") + "?survey=pulse").content.decode()


def test_filter_subtraction_reveals_nothing_hidden(viewer, open_survey):
    """Organisation − Finance − Sales: with Legal (2) and HR (2) hidden, Sales hides too,
    and each filter shows exactly its cell of the breakdown."""
    legal, hr = make_departments("Legal", "HR")
    wave = make_wave(open_survey["survey"], "closed", label="Before")
    rating = open_survey["rating"]
    for department, count in (
        (open_survey["finance"], 12),
        (make_departments("Sales")[0], 7),
        (legal, 2),
        (hr, 2),
    ):
        for _ in range(count):
            add_response(wave, {rating: 3}, department=department)
    whole = outputs(viewer)["json"]
    by_name = {d["department"]: d for d in whole["departments"]}
    before = 0  # the closed wave comes first
    assert [by_name[n]["waves"][before]["suppressed"] for n in ("Finance", "HR", "Legal", "Sales")] == [
        False,
        True,
        True,
        True,
    ]
    for name, entry in by_name.items():
        out = StringIO()
        call_command("trends", "--survey", "pulse", "--json", "--department", name, stdout=out)
        filtered = json.loads(out.getvalue())
        assert filtered["measures"] == entry["measures"] and filtered["waves"] == entry["waves"]
    hidden = whole["waves"][before]["respondents"] - by_name["Finance"]["waves"][before]["respondents"]
    assert hidden >= K


# -- The property: nothing hidden is determined by everything published -------------------


def _in_row_space(rows: list[np.ndarray], target: np.ndarray) -> bool:
    if not rows:
        return False
    matrix = np.array(rows, dtype=float)
    rank = np.linalg.matrix_rank(matrix)
    return np.linalg.matrix_rank(np.vstack([matrix, target])) == rank


@settings(max_examples=int(os.environ.get("DISCLOSURE_EXAMPLES", "60")), deadline=None)
@given(
    arrivals=st.lists(st.integers(min_value=0, max_value=4), min_size=5, max_size=40),
    cuts=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=5),
)
def test_no_hidden_cell_or_small_group_is_determined_by_all_published_sums(arrivals, cuts):
    """Respondents arrive into five cells (4 is "no department"); after each cut the wave
    is published. Every published count and sum (the total and each shown cell, in every
    state) is a row over respondents; no cell hidden for holding fewer than k people and
    no single respondent may lie in
    the row space (a sum over them would then be derivable, and so would its count)."""
    cell_of = [None if c == 4 else c for c in arrivals]
    people = len(arrivals)
    published: dict = {}
    history = []
    rows: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    for cut in [*sorted(set(cuts)), people]:
        live = {i: Member(cell_of[i], 1.0) for i in range(min(cut, people))}
        published, decision = plan_measure(published, live, K, history)
        history.append(decision)
        members: dict = {}
        for response, member in published.items():
            members.setdefault(member.cell, []).append(response)

        def indicator(responses):
            vector = np.zeros(people)
            vector[list(responses)] = 1
            return vector

        if decision.total_shown:
            rows.append(indicator(published))
            for cell in decision.shown:
                rows.append(indicator(members[cell]))
        for cell in decision.hidden:
            if 0 < len(members.get(cell, ())) < K:  # hidden for being small
                targets.append(indicator(members[cell]))
    for target in targets:
        assert not _in_row_space(rows, target), "a hidden cell is determined"
    for person in range(people):
        assert not _in_row_space(rows, np.eye(people)[person]), "one respondent is determined"


# -- Attacks found by an independent attacker (attacks/ on the attack branch) -------------


def test_padding_an_open_wave_through_the_open_link_moves_no_figure_until_it_closes(viewer, open_survey):
    """Four known fakes and one real answer on the open link: while the wave is open the
    batch is never published, so no difference gives the real one away."""
    before = outputs(viewer)
    wave, rating = open_survey["wave"], open_survey["rating"]
    add_response(wave, {rating: 1}, source="web")  # the real person, no department
    for _ in range(K - 1):
        add_response(wave, {rating: 5}, source="web")  # the attacker's fakes
        publish()
        assert outputs(viewer) == before
    wave.closes = timezone.now() - timedelta(minutes=1)
    wave.save(update_fields=["closes"])
    publish()
    assert outputs(viewer)["json"]["waves"][0]["respondents"] == 19 + K  # all in, at close


def test_a_dimension_its_items_and_the_overall_score_rest_on_the_same_people(viewer, db):
    """Someone who skipped an optional item of a dimension would be isolated by
    2 × dimension − item 1 − item 2: they count in none of the family's figures."""
    survey = make_survey(slug="pulse")
    first = add_question(survey, Question.RATING_5, text="Fast", dimension="Speed")
    second = add_question(survey, Question.RATING_5, text="Quick", dimension="Speed")
    wave = make_past_waves(survey, ["2026 Q1"])[0]
    for number in range(14):
        add_response(wave, {first: 1 + number % 5, second: 1 + (number + 2) % 5})
    add_response(wave, {first: 3})  # skipped the optional second item
    document = outputs(viewer)["json"]
    n = {m["label"]: m["waves"][0]["n"] for m in document["measures"]}
    assert n["Fast"] == n["Quick"] == n["Speed"] == 14
    assert document["waves"][0]["respondents"] == 15


def test_comments_are_listed_in_no_order_of_answering(viewer, db):
    """Within a wave, comments used to come newest first: whoever answered last was last."""
    survey = make_survey(slug="pulse")
    rating = add_question(survey, Question.RATING_5)
    comment = add_question(survey, Question.TEXT)
    wave = make_past_waves(survey, ["2026 Q1"])[0]
    theme = Theme.objects.create(name="Wi-Fi")
    texts = [f"comment {number:02d}" for number in range(12)]
    for text in texts:
        response = add_response(wave, {rating: 3, comment: text})
        Answer.objects.get(response=response, question=comment).themes.add(theme)
    page = viewer.get(reverse("reports:theme", args=[theme.pk]) + "?survey=pulse")
    listed = [answer.text for answer in page.context["comments"]]
    assert sorted(listed) == texts
    assert listed not in (texts, texts[::-1])


def test_an_open_wave_does_not_say_how_many_answers_wait(viewer, open_survey):
    """left_out moved by one with each unpublished answer: it is said only once final."""
    for _ in range(2):
        add_response(open_survey["wave"], {open_survey["rating"]: 4}, source="web")
    publish()
    assert outputs(viewer)["json"]["waves"][0]["left_out"] == 0


# -- The same property, read from the real outputs over successive publications ----------


@pytest.mark.django_db
@settings(max_examples=examples(60), deadline=None)
@given(
    arrivals=st.lists(
        st.tuples(st.integers(min_value=0, max_value=3), st.integers(min_value=1, max_value=5)),
        min_size=6,
        max_size=28,
    ),
    cuts=st.lists(st.integers(min_value=1, max_value=28), min_size=1, max_size=3),
)
def test_the_published_outputs_determine_no_hidden_cell_or_person(arrivals, cuts):
    """People (each a department 0–2 or none, and an answer) arrive in an open wave; after
    each cut the product publishes and the trends document is read, as `trends --json`
    prints it. Every count and sum it shows — each wave total and each shown department,
    in every state — is a row over respondents (who the published figures stand for). No
    single respondent, and no department cell the document hid while it held fewer than
    k, may lie in the row space of those rows."""
    from django.core.cache import cache
    from django.db import transaction

    from reports.models import PublishedScore
    from reports.queries import survey_data
    from reports.trends import build_trends

    with transaction.atomic():
        cache.clear()
        survey = make_survey(slug="rank")
        rating = add_question(survey, Question.RATING_5, text="IT is reliable")
        departments = make_departments("A", "B", "C")
        wave = make_wave(survey, "open", label="Now")
        respondents: list[int] = []
        rows: list[np.ndarray] = []
        targets: list[np.ndarray] = []
        for cut in [*sorted({min(c, len(arrivals)) for c in cuts}), len(arrivals)]:
            for cell, value in arrivals[len(respondents) : cut]:
                department = departments[cell] if cell < 3 else None
                respondents.append(add_response(wave, {rating: value}, department=department).pk)
            publish()
            document = build_trends(survey_data(survey))
            index = {response: i for i, response in enumerate(respondents)}
            members = PublishedScore.objects.filter(wave=wave, measure=f"question:{rating.pk}")
            by_department: dict = {}
            for response, department in members.values_list("response_id", "department_id"):
                by_department.setdefault(department, []).append(index[response])

            def indicator(positions):
                vector = np.zeros(len(arrivals))
                vector[list(positions)] = 1
                return vector

            measure = next(m for m in document["measures"] if m["key"] == f"question:{rating.pk}")
            total = measure["waves"][0]
            if not total["suppressed"]:
                everyone = [p for positions in by_department.values() for p in positions]
                assert total["n"] == len(everyone)  # the document speaks for these people
                rows.append(indicator(everyone))
            for entry in document["departments"]:
                department = next(d for d in departments if d.name == entry["department"])
                shown = next(m for m in entry["measures"] if m["key"] == measure["key"])["waves"][0]
                positions = by_department.get(department.pk, [])
                if shown["suppressed"]:
                    if 0 < len(positions) < K:
                        targets.append(indicator(positions))
                else:
                    assert shown["n"] == len(positions)
                    rows.append(indicator(positions))
            hidden_none = by_department.get(None, [])
            if 0 < len(hidden_none) < K:
                targets.append(indicator(hidden_none))
        for target in targets:
            assert not _in_row_space(rows, target), "a hidden cell is determined by published sums"
        for person in range(len(arrivals)):
            assert not _in_row_space(rows, np.eye(len(arrivals))[person]), "one respondent is determined"
        transaction.set_rollback(True)


def test_a_changed_scoring_rule_rescores_a_final_wave_over_the_same_people(viewer, db):
    """Reverse-scoring declared after a wave closed: the same people, scored anew (low +
    high − mean); a late answer still never joins."""
    survey = make_survey(slug="pulse")
    rating = add_question(survey, Question.RATING_5, text="IT is reliable")
    wave = make_past_waves(survey, ["2026 Q1"])[0]
    for number in range(12):
        add_response(wave, {rating: 1 + number % 4})
    before = outputs(viewer)["json"]
    measure = next(m for m in before["measures"] if m["label"].startswith("IT is reliable"))["waves"][0]
    add_response(wave, {rating: 5})  # too late: the wave is final
    rating.reverse_scored = True
    rating.save(update_fields=["reverse_scored"])
    after = outputs(viewer)["json"]
    flipped = next(m for m in after["measures"] if m["label"].startswith("IT is reliable"))["waves"][0]
    assert flipped["n"] == measure["n"] == 12
    assert flipped["mean"] == pytest.approx(6 - measure["mean"])


def test_pages_across_surveys_check_publications_at_most_every_30_seconds(viewer, open_survey, monkeypatch):
    """The home page and coverage ask every survey whether to publish; not on every view.
    The monthly report always asks."""
    from reports import disclosure

    checked = []
    monkeypatch.setattr(disclosure, "ensure_published", lambda survey: checked.append(survey.slug))
    viewer.get(reverse("reports:home"))
    first = len(checked)
    viewer.get(reverse("reports:home"))
    viewer.get(reverse("reports:coverage"))
    assert first >= 1 and len(checked) == first
    disclosure.ensure_all_published(force=True)
    assert len(checked) > first


def _counted_scores(wave) -> dict:
    from collections import Counter

    from reports.models import PublishedScore

    return dict(
        Counter(PublishedScore.objects.filter(wave=wave).values_list("measure", "department_id", "score"))
    )


def _published_counts(wave) -> dict:
    from reports.models import PublishedCount

    return {
        (measure, department, score): n
        for measure, department, score, n in PublishedCount.objects.filter(wave=wave).values_list(
            "measure", "department_id", "score", "count"
        )
    }


def test_the_counts_the_trends_read_are_the_published_scores_counted_through_every_publication(
    viewer, open_survey
):
    """The trend document reads ``PublishedCount``; it must hold exactly the published
    scores counted, after the first publication, a later batch, a closing and a rescoring,
    so it can never show a person the per-respondent snapshot does not."""
    wave, rating, finance = open_survey["wave"], open_survey["rating"], open_survey["finance"]
    publish()
    assert _published_counts(wave) == _counted_scores(wave) != {}
    for _ in range(6):
        add_response(wave, {rating: 5, open_survey["optional"]: 2}, department=finance)
    publish()
    first_batch = _published_counts(wave)
    assert first_batch == _counted_scores(wave)
    assert sum(n for (m, _, _), n in first_batch.items() if m == "respondents") == 25
    wave.closes = timezone.now() - timedelta(minutes=1)
    wave.save(update_fields=["closes"])
    publish()
    assert _published_counts(wave) == _counted_scores(wave)
    rating.reverse_scored = True
    rating.save(update_fields=["reverse_scored"])
    outputs(viewer)  # reading rescores the final wave
    rescored = _published_counts(wave)
    assert rescored == _counted_scores(wave) != first_batch


def test_pages_count_live_responses_at_most_every_30_seconds_and_then_ask_for_a_publication(
    viewer, open_survey, monkeypatch
):
    """Counting responses is the read path's one cost that grows with the survey: it runs
    once per 30 seconds per survey, and a difference then asks the publishing task."""
    from django.core.cache import cache

    from reports import disclosure, queries

    publish()
    cache.delete(disclosure.LIVE_CHECK_KEY.format(open_survey["survey"].pk))  # checked when it published
    counted, requested = [], []
    real_seen = queries.responses_seen
    monkeypatch.setattr(queries, "responses_seen", lambda survey: counted.append(1) or real_seen(survey))
    monkeypatch.setattr(disclosure, "request_publication", lambda survey: requested.append(survey.pk))
    url = reverse("reports:dashboard") + "?survey=pulse"
    viewer.get(url)
    assert (len(counted), requested) == (1, [])  # nothing new since the publication
    add_response(open_survey["wave"], {open_survey["rating"]: 3})
    viewer.get(url)
    assert (len(counted), requested) == (1, [])  # within 30 seconds: not counted again
    cache.delete(disclosure.LIVE_CHECK_KEY.format(open_survey["survey"].pk))  # 30 seconds later
    viewer.get(url)
    assert (len(counted), requested) == (2, [open_survey["survey"].pk])


@given(
    st.dictionaries(st.integers(0, 30), st.tuples(st.sampled_from([None, 1, 2, 3]), st.integers(1, 3))),
    st.dictionaries(st.integers(0, 30), st.tuples(st.sampled_from([None, 1, 2, 3]), st.integers(1, 3))),
)
@settings(max_examples=examples(200), deadline=None)
def test_changes_counted_per_cell_in_one_pass_equal_counting_each_cell(before, after):
    from reports.disclosure import _changed, _changed_per_cell

    before = {r: Member(cell, float(score)) for r, (cell, score) in before.items()}
    after = {r: Member(cell, float(score)) for r, (cell, score) in after.items()}
    per_cell = _changed_per_cell(before, after)
    for cell in (None, 1, 2, 3):
        assert per_cell[cell] == _changed(before, after, {cell})


def test_a_reader_leaves_a_queued_publication_to_the_task_and_publishes_only_when_none_is_queued(viewer, db):
    """After an import the publishing task is asked to publish; until it starts, a page
    request does not publish the (possibly large) wave itself, it shows nothing of it."""
    from django.core.cache import cache

    from reports import disclosure
    from reports.models import Publication

    survey = make_survey(slug="pulse")
    rating = add_question(survey, Question.RATING_5, text="IT is reliable")
    wave = make_past_waves(survey, ["2026 Q1"])[0]
    for number in range(12):
        add_response(wave, {rating: 1 + number % 5})
    cache.add(disclosure.PENDING_KEY.format(survey.pk), True, 600)  # queued, not yet started
    page = viewer.get(reverse("reports:dashboard") + "?survey=pulse")
    assert page.status_code == 200
    assert not Publication.objects.filter(wave=wave).exists()
    cache.delete(disclosure.PENDING_KEY.format(survey.pk))  # the task started (or the key expired)
    viewer.get(reverse("reports:dashboard") + "?survey=pulse")
    assert Publication.objects.filter(wave=wave, final=True).exists()


@pytest.mark.parametrize(
    "queued, publishes",
    [
        ("ready", False),
        ("running", False),
        ("ready, 11 minutes ago", True),  # no worker is running: readers publish again
        ("done", True),
        ("another survey's", True),
    ],
)
def test_a_publication_queued_by_another_process_holds_readers_back_too(viewer, db, queued, publishes):
    """Without Redis each process has its own cache: the worker that ran an import asked
    the publishing task in its memory, not the web server's. The database queue is what
    every process sees."""
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from reports.models import Publication
    from reports.tasks import publish_figures

    survey = make_survey(slug="pulse")
    rating = add_question(survey, Question.RATING_5, text="IT is reliable")
    wave = make_past_waves(survey, ["2026 Q1"])[0]
    for number in range(12):
        add_response(wave, {rating: 1 + number % 5})
    cache.clear()
    status = {"running": TaskResultStatus.RUNNING, "done": TaskResultStatus.SUCCESSFUL}.get(
        queued, TaskResultStatus.READY
    )
    row = DBTaskResult.objects.create(
        task_path=publish_figures.module_path,
        args_kwargs={"args": [survey.pk + 1 if queued == "another survey's" else survey.pk], "kwargs": {}},
        status=status,
        queue_name="default",
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )
    if queued.endswith("minutes ago"):
        DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - timedelta(minutes=11))
    assert viewer.get(reverse("reports:dashboard") + "?survey=pulse").status_code == 200
    assert Publication.objects.filter(wave=wave).exists() is publishes


@pytest.fixture
def large_wave(db, monkeypatch):
    """A closed wave never published, larger than a page request publishes itself (the
    limit lowered to 10 for the test: 12 responses)."""
    from django.core.cache import cache

    from reports import disclosure

    monkeypatch.setattr(disclosure, "INLINE_PUBLISH_MAX", 10)
    cache.clear()
    survey = make_survey(slug="pulse")
    rating = add_question(survey, Question.RATING_5, text="IT is reliable")
    wave = make_past_waves(survey, ["2026 Q1"])[0]
    for number in range(12):
        add_response(wave, {rating: 1 + number % 5})
    return wave


@pytest.fixture
def queue(monkeypatch):
    """The worker's queue, recording what is asked of it (the tests' task backend would
    run the task at once, inside the request)."""
    from reports import tasks

    asked = []

    class Queue:
        module_path = tasks.publish_figures.module_path
        task = None

        def enqueue(self, *args):
            asked.append(args)

    queue = Queue()
    queue.task = tasks.publish_figures  # the real one, for a test to run as the worker would
    monkeypatch.setattr(tasks, "publish_figures", queue)
    return asked


def test_a_page_leaves_a_large_wave_to_the_publishing_task_instead_of_publishing_it_inside_the_request(
    viewer, large_wave, queue
):
    """When no worker has taken the queued task for ten minutes, every reader would
    otherwise publish a 100,000-response import inside its request (a minute and a
    gigabyte each, several at once)."""
    from reports.models import Publication

    for _ in range(2):
        page = viewer.get(reverse("reports:dashboard") + "?survey=pulse")
        assert page.status_code == 200
    assert not Publication.objects.filter(wave=large_wave).exists()
    assert queue == [(large_wave.survey_id,)]  # asked once


def test_the_trends_command_publishes_a_large_wave_itself(large_wave, queue):
    from reports.models import Publication

    out = StringIO()
    call_command("trends", "--survey", "pulse", "--json", stdout=out)
    assert Publication.objects.filter(wave=large_wave, final=True).exists()
    assert json.loads(out.getvalue())["waves"][0]["respondents"] == 12
    assert queue == []


def test_the_monthly_preview_page_leaves_a_large_wave_to_the_task_and_the_command_publishes_it(
    client, large_wave, queue
):
    from reports.models import Publication, ReportSettings

    settings = ReportSettings.load()
    settings.metrics = ["people_heard", "actions_completed"]
    settings.save()
    client.force_login(make_user("manager", "Managers"))
    assert client.get(reverse("reports:monthly")).status_code == 200  # a GET, any manager
    assert not Publication.objects.filter(wave=large_wave).exists()
    assert queue == [(large_wave.survey_id,)]
    call_command("send_monthly_report", "--dry-run", "--month", "2026-10", stdout=StringIO())
    assert Publication.objects.filter(wave=large_wave, final=True).exists()


def test_a_scoring_rule_change_leaves_rescoring_a_large_final_wave_to_the_task(viewer, large_wave, queue):
    """Changing a scale rescored a final wave inside the next viewer's request, whatever
    its size, and again in each request that had read the old rules before the lock."""
    from reports import tasks
    from reports.models import Publication

    call_command("publish_figures", stdout=StringIO())
    large_wave.survey.questions.update(reverse_scored=True)  # a manager edits the scale
    for _ in range(2):
        assert viewer.get(reverse("reports:dashboard") + "?survey=pulse").status_code == 200
    assert Publication.objects.filter(wave=large_wave).count() == 1
    assert queue == [(large_wave.survey_id,)]
    # The task, when the worker runs it, rescores it (once however often it runs).
    for _ in range(2):
        tasks.publish_figures.task.func(large_wave.survey_id)
    assert list(Publication.objects.filter(wave=large_wave).values_list("number", "final")) == [
        (1, True),
        (2, True),
    ]

"""`manage.py trends`: the queries, the document and the command, against the database."""

import json
from datetime import timedelta
from io import StringIO

import pandas as pd
import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from pandas.testing import assert_frame_equal

from conversations.models import Note
from perception.models import Theme
from reports import analysis
from reports.queries import survey_data, survey_items
from reports.trends import build_trends
from surveys.models import Answer, Question, Response, Survey
from tests.factories import (
    add_question,
    add_response,
    make_conversation,
    make_departments,
    make_past_waves,
    make_survey,
)
from tests.reports.oracles import answers_table, latest_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    """A survey with three waves; per wave 12 Finance, 7 Sales, 3 Legal, 2 without department."""
    survey = make_survey(slug="pulse")
    q1 = add_question(survey, Question.RATING_5, dimension="Reliability")
    q2 = add_question(survey, Question.RATING_5, dimension="Reliability", reverse_scored=True)
    q3 = add_question(survey, Question.SCALE_10, likelihood_to_recommend=True)
    comment = add_question(survey, Question.TEXT)
    finance, sales, legal = make_departments("Finance", "Sales", "Legal")
    waves = make_past_waves(survey, ["2026 Q1", "2026 Q2", "2026 Q3"])
    for index, wave in enumerate(waves):
        people = [(finance, 12), (sales, 7), (legal, 3), (None, 2)]
        number = 0
        for department, count in people:
            for _ in range(count):
                number += 1
                value = 1 + (number + index * 2) % 5
                add_response(
                    wave,
                    {q1: value, q2: 6 - value if number % 3 else value, q3: (number * 3 + index) % 11},
                    department=department,
                )
    return {
        "survey": survey,
        "questions": (q1, q2, q3, comment),
        "waves": waves,
        "departments": (finance, sales, legal),
    }


def orm_answers(survey) -> pd.DataFrame:
    """Every numeric answer as long ``answers`` rows, straight from the ORM."""
    rows = Answer.objects.filter(response__wave__survey=survey, number__isnull=False).values_list(
        "response_id",
        "response__wave__label",
        "response__respondent_key",
        "response__submitted",
        "question_id",
        "number",
    )
    frame = pd.DataFrame(
        list(rows), columns=["response", "wave", "respondent", "submitted", "question", "value"]
    )
    return frame.assign(column="question:" + frame["question"].astype(str)).drop(columns="question")


def run_json(*args) -> dict:
    out = StringIO()
    call_command("trends", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_sql_collapse_equals_the_pure_pandas_collapse(org):
    """The per-respondent pivot in SQL scores exactly as pandas does from the raw answers,
    a duplicate respondent in a wave included."""
    survey, (q1, q2, q3, _) = org["survey"], org["questions"]
    first = org["waves"][0]
    twice = add_response(first, {q1: 1, q2: 1, q3: 0}, key="same-person")
    add_response(
        first, {q1: 5, q2: 2, q3: 10}, key="same-person", submitted=twice.submitted + timedelta(minutes=5)
    )
    items, measures, scales = survey_items(list(survey.questions.all()))
    expected = analysis.measure_scores(
        latest_only(answers_table(orm_answers(survey))),
        items,
        overall=next(m for m in measures if m.kind == "overall"),
        dimension_scales=scales,
    )
    data = survey_data(survey)
    key = ["measure", "wave", "score"]
    assert_frame_equal(
        data.scores.sort_values(key, ignore_index=True)[[*key, "count"]],
        expected.sort_values(key, ignore_index=True)[[*key, "count"]],
        check_dtype=False,
    )
    questions = {f"question:{q.pk}" for q in (q1, q2, q3)}
    assert set(data.scores["measure"]) == questions | {"dimension:Reliability", "overall"}


def test_n_counts_respondents_and_the_latest_duplicate_wins(org):
    survey, (q1, q2, q3, _) = org["survey"], org["questions"]
    first = org["waves"][0]
    early = add_response(first, {q1: 1, q2: 5, q3: 0}, key="twice")
    add_response(first, {q1: 5, q2: 1, q3: 10}, key="twice", submitted=early.submitted + timedelta(days=1))
    document = run_json("--survey", survey.slug)
    reliability = next(m for m in document["measures"] if m["key"] == "dimension:Reliability")
    assert reliability["waves"][0]["n"] == 25  # 24 people plus the one who answered twice
    assert document["waves"][0]["respondents"] == 25
    q1_measure = next(m for m in document["measures"] if m["key"] == f"question:{q1.pk}")
    values = [1 + (n + 0) % 5 for n in range(1, 25)] + [5]
    assert q1_measure["waves"][0]["mean"] == pytest.approx(sum(values) / 25, abs=1e-4)


def test_document_shape_kinds_scales_and_net_score_only_on_recommend_questions(org):
    document = run_json("--survey", "pulse")
    assert document["version"] == 2
    assert document["survey"] == "pulse" and document["min_group_size"] == 5
    assert [w["label"] for w in document["waves"]] == ["2026 Q1", "2026 Q2", "2026 Q3"]
    assert [w["months"] for w in document["waves"]] == pytest.approx(
        [0, 100 / 30.4375, 200 / 30.4375], abs=1e-3
    )
    q1, q2, q3, _ = org["questions"]
    keys = [(m["key"], m["kind"]) for m in document["measures"]]
    assert keys == [
        ("overall", "overall"),
        (f"question:{q1.pk}", "question"),
        (f"question:{q2.pk}", "question"),
        (f"question:{q3.pk}", "question"),
        ("dimension:Reliability", "dimension"),
    ]
    for measure in document["measures"]:
        assert {"kind", "scale_low", "scale_high", "favorable_definition", "net_score"} <= set(measure)
        assert measure["net_score"] == (measure["key"] == f"question:{q3.pk}")
        for wave in measure["waves"]:
            assert (wave["net_score"] is not None) == measure["net_score"]
        change = measure["change"]
        assert (change["from_wave"], change["to_wave"]) == ("2026 Q2", "2026 Q3")
        assert change["wander_known"] is True
        assert change["mean"]["ci"] is not None and change["mean"]["q"] is not None
        assert measure["trend"]["waves"] == 3
        assert measure["trend"]["mean"]["direction"] == "not_enough_waves"
        assert measure["trend"]["mean"]["slope_per_month"] is not None, "three waves: the slope is shown"
    recommend = next(m for m in document["measures"] if m["key"] == f"question:{q3.pk}")
    assert (recommend["scale_low"], recommend["scale_high"]) == (0, 10)
    assert recommend["favorable_definition"] == "favourable = 9–10 of 0–10"
    assert next(m for m in document["measures"] if m["key"] == f"question:{q2.pk}")["label"].endswith(
        "(reverse scored)"
    )


def test_a_0_to_10_question_not_marked_as_recommend_has_no_net_score(org):
    Question.objects.filter(kind=Question.SCALE_10).update(likelihood_to_recommend=False)
    document = run_json("--survey", "pulse")
    assert not any(m["net_score"] for m in document["measures"])
    assert all(w["net_score"] is None for m in document["measures"] for w in m["waves"])


def test_a_declared_favourable_cut_is_used_and_labelled(org):
    q1 = org["questions"][0]
    Question.objects.filter(pk=q1.pk).update(favourable_from=5)
    measure = next(m for m in run_json("--survey", "pulse")["measures"] if m["key"] == f"question:{q1.pk}")
    assert measure["favorable_definition"] == "favourable = 5 of 1–5"
    values = [1 + (n + 0) % 5 for n in range(1, 25)]
    assert measure["waves"][0]["favorable"] == pytest.approx(values.count(5) / 24, abs=1e-4)


def test_a_department_filter_shows_the_same_q_as_the_breakdown(org):
    """One fixed family for the department breakdown: the filtered view is its slice."""
    whole = run_json("--survey", "pulse")
    finance = next(d for d in whole["departments"] if d["department"] == "Finance")
    filtered = run_json("--survey", "pulse", "--department", "Finance")
    assert filtered["measures"] == finance["measures"]
    for mine, theirs in zip(filtered["measures"], finance["measures"], strict=True):
        assert mine["change"]["mean"]["q"] == theirs["change"]["mean"]["q"]
    assert [w["respondents"] for w in filtered["waves"]] == [12, 12, 12]


def test_output_is_deterministic(org):
    outputs = []
    for _ in range(2):
        out = StringIO()
        call_command("trends", "--survey", "pulse", "--json", stdout=out)
        outputs.append(out.getvalue())
    assert outputs[0] == outputs[1]
    assert list(json.loads(outputs[0])) == sorted(json.loads(outputs[0]))


def test_small_department_is_suppressed_with_a_complement_and_cannot_be_recovered(org):
    """Legal (3) is below k. People without a department (2) are also hidden, so two
    cells are hidden already; make 'not given' empty and Sales (7) must be hidden too."""
    Response.objects.filter(department__isnull=True).delete()
    document = run_json("--survey", "pulse")
    by_name = {d["department"]: d for d in document["departments"]}
    assert set(by_name) == {"Finance", "Legal", "Sales"}
    assert by_name["Legal"]["suppressed"] and by_name["Legal"]["respondents"] is None
    assert by_name["Sales"]["suppressed"], "the next smallest department is suppressed too"
    assert not by_name["Finance"]["suppressed"] and by_name["Finance"]["respondents"] == 12
    for name in ("Legal", "Sales"):
        reliability_cells = next(m for m in by_name[name]["measures"] if m["key"] == "dimension:Reliability")
        for wave in reliability_cells["waves"]:
            assert wave["suppressed"] and wave["mean"] is None and wave["n"] is None
    # Recovering Legal by subtraction needs Sales too: total minus Finance leaves two unknowns.
    reliability = next(m for m in document["measures"] if m["key"] == "dimension:Reliability")
    finance_cells = next(m for m in by_name["Finance"]["measures"] if m["key"] == "dimension:Reliability")
    for index, wave in enumerate(reliability["waves"]):
        finance = finance_cells["waves"][index]
        assert wave["n"] - finance["n"] == 10  # Legal + Sales together, never Legal alone


def test_department_filter_below_k_shows_nothing_not_even_comments(org):
    comment = org["questions"][3]
    legal = org["departments"][2]
    theme = Theme.objects.create(name="Printers")
    for response in legal.__class__.objects.get(pk=legal.pk) and org["waves"][0].responses.filter(
        department=legal
    ):
        answer = Answer.objects.create(response=response, question=comment, text="The printer again")
        answer.themes.add(theme)
    document = run_json("--survey", "pulse", "--department", "legal")
    assert document["filters"]["department"] == "Legal"
    assert all(w["suppressed"] and w["respondents"] is None for w in document["waves"])
    for measure in document["measures"]:
        assert all(w["suppressed"] and w["mean"] is None for w in measure["waves"])
        assert measure["change"] is None
        assert measure["trend"]["mean"]["direction"] == "not_enough_waves"
    assert document["themes"] == []
    assert document["departments"] == []
    # Nor for the whole organisation: department lists are shown, so the organisation's
    # list minus theirs would isolate Legal's comments (reports.disclosure).
    whole = run_json("--survey", "pulse")
    assert whole["themes"] == []


def test_since_leaves_out_earlier_waves(org):
    since = org["waves"][1].opens.date().isoformat()
    document = run_json("--survey", "pulse", "--since", since)
    assert [w["label"] for w in document["waves"]] == ["2026 Q2", "2026 Q3"]
    assert all(m["trend"]["mean"]["direction"] == "not_enough_waves" for m in document["measures"])


def test_themes_from_coded_comments_are_counted_by_voice_with_the_survey_as_one_source(org):
    """Eight anonymous commenters over two waves: one source (the survey), and their
    voices cannot be linked across waves, so the page says so."""
    comment = org["questions"][3]
    theme = Theme.objects.create(name="Slow tickets")
    for wave in org["waves"][:2]:
        for response in wave.responses.all()[:4]:
            Answer.objects.create(response=response, question=comment, text="slow").themes.add(theme)
    entry = run_json("--survey", "pulse")["themes"][0]
    assert entry == {
        "theme": "Slow tickets",
        "voices": 8,
        "linked_voices": 0,
        "unlinked_voices": 8,
        "mentions": 8,
        "sources": 1,
        "channels": ["survey"],
        "top_voice_share": 0.125,
        "status": "emerging",
        "robust": True,
        "sentiment": None,
    }


def test_pseudonymous_commenters_are_linked_across_waves(org):
    Survey.objects.filter(pk=org["survey"].pk).update(anonymity=Survey.PSEUDONYMOUS)
    comment = org["questions"][3]
    theme = Theme.objects.create(name="Slow tickets")
    for wave in org["waves"][:2]:
        for response in wave.responses.all()[:4]:
            Answer.objects.create(response=response, question=comment, text="slow").themes.add(theme)
    entry = run_json("--survey", "pulse")["themes"][0]
    assert (entry["linked_voices"], entry["unlinked_voices"]) == (8, 0)


def test_themes_beside_a_survey_count_only_notes_within_the_waves_shown(org):
    """A note from years before the first wave does not appear beside the survey."""
    theme = Theme.objects.create(name="Printers")
    inside = make_conversation("walkabout", days_ago=200)
    long_ago = make_conversation("walkabout", days_ago=5 * 365)
    for conversation in (inside, long_ago):
        Note.objects.create(conversation=conversation, text="printer").themes.add(theme)
    document = run_json("--survey", "pulse")
    window = document["themes_window"]
    assert window["from"] == org["waves"][0].opens.date().isoformat()
    assert window["to"] == org["waves"][-1].closes.date().isoformat()
    entry = document["themes"][0]
    assert entry["mentions"] == 1 and entry["unlinked_voices"] == 1
    since_last = run_json("--survey", "pulse", "--since", org["waves"][-1].opens.date().isoformat())
    assert since_last["themes_window"]["from"] == org["waves"][-1].opens.date().isoformat()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--survey", "nope"], "No survey with slug 'nope'"),
        (["--survey", "pulse", "--department", "Nowhere"], "No department named 'Nowhere'."),
        (
            ["--survey", "pulse", "--since", "2026-13-01"],
            "--since must be a date as YYYY-MM-DD, not '2026-13-01'.",
        ),
    ],
)
def test_malformed_options_fail_with_a_readable_message(org, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("trends", *args)


@pytest.mark.django_db
def test_a_bad_option_exits_non_zero_with_one_line_and_no_traceback(capsys):
    """As run from a shell (argv parsing, exit code, stderr), but in this process."""
    utility = ManagementUtility(["manage.py", "trends", "--survey", "it-service", "--since", "yesterday"])
    with pytest.raises(SystemExit) as exit_:
        utility.execute()
    assert exit_.value.code != 0
    assert (
        capsys.readouterr().err.strip()
        == "CommandError: --since must be a date as YYYY-MM-DD, not 'yesterday'."
    )


def test_readable_table_names_waves_measures_and_suppression(org):
    out = StringIO()
    call_command("trends", "--survey", "pulse", stdout=out)
    text = out.getvalue()
    assert "Reliability (1-5)" in text
    assert "favourable = 4–5 of 1–5" in text
    assert "not enough waves yet for a trend" in text
    assert "2026 Q3" in text
    assert "Legal                suppressed" in text


def test_document_from_build_trends_equals_the_command_json(org):
    document = build_trends(survey_data(org["survey"]))
    assert json.loads(json.dumps(document)) == run_json("--survey", "pulse")


def test_a_pseudonymous_survey_pairs_the_people_who_answered_both_waves():
    """The same 30 people twice, each about one point better: the overlapping samples test sees
    the consistency Welch's test takes for noise, and says so by its method."""
    survey = make_survey(slug="panel", anonymity=Survey.PSEUDONYMOUS)
    question = add_question(survey, Question.SCALE_10)
    before, after = make_past_waves(survey, ["2026 Q1", "2026 Q2"])
    for person in range(30):
        start = 2 + person % 7
        add_response(before, {question: start}, key=f"person-{person}")
        add_response(after, {question: start + 1 + (person % 3 - 1)}, key=f"person-{person}")
    document = build_trends(survey_data(survey))
    change = next(m for m in document["measures"] if m["key"] == f"question:{question.pk}")["change"]["mean"]
    assert change["method"] == "overlapping"
    assert change["delta"] == pytest.approx(1.0)
    assert change["ci"]["low"] > 0.5  # Welch alone: −0.11 to 2.11, crossing zero


def test_an_anonymous_survey_is_never_paired(org):
    """Random keys link nobody: changes stay Welch's."""
    document = build_trends(survey_data(org["survey"]))
    methods = {m["change"]["mean"]["method"] for m in document["measures"] if m["change"]}
    assert methods == {"welch"}

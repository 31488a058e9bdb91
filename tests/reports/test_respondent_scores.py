"""Per-respondent scores kept as responses arrive (surveys.models.RespondentScore): written
with each response and import, recomputed when a scoring rule changes, equal to scoring
the raw answers, and what publishing reads instead of every answer."""

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import analysis, disclosure
from reports.queries import choice_key, survey_data, survey_items
from surveys import services
from surveys.models import Answer, Question, RespondentScore, Response, Survey
from tests.factories import add_question, add_response, make_departments, make_survey, make_wave
from tests.reports.oracles import answers_table

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent.parent / "surveys" / "fixtures"


def oracle_scores(survey: Survey) -> dict[int, dict[str, float]]:
    """Every response's scores the slow, obvious way: all its answers, scored by pandas
    (analysis.measure_scores over the long answers), choice options counted by hand."""
    questions = list(survey.questions.prefetch_related("choices"))
    expected = {r: {} for r in Response.objects.filter(wave__survey=survey).values_list("pk", flat=True)}
    numbers = Answer.objects.filter(response__wave__survey=survey, number__isnull=False).values_list(
        "response_id", "question_id", "number"
    )
    frame = pd.DataFrame(list(numbers), columns=["response", "question", "value"])
    if not frame.empty:
        frame = frame.assign(column="question:" + frame["question"].astype(str)).drop(columns="question")
        items, measures, scales = survey_items(questions)
        overall = next((m for m in measures if m.kind == "overall"), None)
        scored = analysis.measure_scores(
            answers_table(frame), items, by=("response",), overall=overall, dimension_scales=scales
        )
        for measure, response, score in scored[["measure", "response", "score"]].itertuples(index=False):
            expected[int(response)][measure] = float(score)
    for question in questions:
        if question.kind not in (Question.SINGLE, Question.MULTIPLE):
            continue
        ticked = set(Answer.objects.filter(question=question).values_list("response_id", "choice_id"))
        for response in {r for r, _ in ticked}:
            for choice in question.choices.all():
                expected[response][choice_key(question.pk, choice.pk)] = float(
                    (response, choice.pk) in ticked
                )
    return expected


def kept_scores(survey: Survey) -> dict[int, dict[str, float]]:
    return dict(
        RespondentScore.objects.filter(response__wave__survey=survey).values_list("response_id", "scores")
    )


def assert_same_scores(kept: dict, expected: dict) -> None:
    assert kept.keys() == expected.keys()
    for response, scores in expected.items():
        assert kept[response].keys() == scores.keys(), response
        for measure, score in scores.items():
            assert np.isclose(kept[response][measure], score, rtol=0, atol=1e-12), (response, measure)


@pytest.fixture
def pulse():
    """Two dimensions on one scale (one item reverse-scored), a 0–10, a multiple choice and
    a comment; people who skip items and choices."""
    survey = make_survey(slug="pulse")
    q1 = add_question(survey, Question.RATING_5, dimension="Reliability")
    q2 = add_question(survey, Question.RATING_5, dimension="Reliability", reverse_scored=True)
    q3 = add_question(survey, Question.RATING_5, dimension="Support")
    q4 = add_question(survey, Question.SCALE_10, likelihood_to_recommend=True)
    tools = add_question(survey, Question.MULTIPLE, choices=["Mail", "Chat", "Phone"])
    comment = add_question(survey, Question.TEXT)
    wave = make_wave(survey, "open")
    (finance,) = make_departments("Finance")
    mail, chat, _phone = tools.choices.all()
    questions = list(survey.questions.prefetch_related("choices"))
    answered = [
        {q1: 5, q2: 1, q3: 4, q4: 9, tools: [mail, chat], comment: "Fine"},
        {q1: 2, q2: 4, q3: 3, q4: 0, tools: [chat]},
        {q1: 3, q3: 5, q4: 7},  # skips a Reliability item and the choice question
        {q2: 2, tools: []},  # skips Support altogether
        {q1: 4, q2: 3, q3: 2},
    ]
    for values in answered:
        every = {q: values.get(q) for q in questions}  # as the form passes them: every question
        services.response_submit(wave=wave, answers=every, department=finance, source=Response.LINK)
    return {"survey": survey, "wave": wave, "questions": (q1, q2, q3, q4, tools, comment)}


def test_a_submitted_response_keeps_the_scores_its_answers_give(pulse):
    """Each response's kept row equals scoring its raw answers: items reverse-scored,
    dimensions the mean of the answered items, overall the mean of dimensions, choices 0/1."""
    survey = pulse["survey"]
    kept = kept_scores(survey)
    assert_same_scores(kept, oracle_scores(survey))
    _, q2, *_ = pulse["questions"]
    first = min(kept)
    assert kept[first][f"question:{q2.pk}"] == 5.0  # 1 on a reverse-scored 1–5
    assert kept[first]["dimension:Reliability"] == 5.0
    assert kept[first]["overall"] == 4.5  # (Reliability 5 + Support 4) / 2


def test_submission_scores_with_no_read_and_reading_them_needs_no_answers(pulse):
    """Publishing reads the kept scores, not the answers table."""
    with CaptureQueriesContext(connection) as queries:
        disclosure.publish_survey(pulse["survey"])
    assert not [q["sql"] for q in queries.captured_queries if "surveys_answer" in q["sql"]]


def test_imported_responses_are_scored_in_the_same_transaction(tmp_path):
    """An import writes one kept row per imported response, equal to scoring the answers."""
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"scales": {"recommendation_score": {"low": 0, "high": 10}}}))
    path = FIXTURES / "carpentries-longterm-2020-other-no-open.csv"
    call_command(
        "import_responses",
        str(path),
        "--survey",
        "carp",
        "--confirm-scales",
        "--mapping",
        str(mapping),
        stdout=StringIO(),
    )
    survey = Survey.objects.get(slug="carp")
    kept = kept_scores(survey)
    assert len(kept) == Response.objects.filter(wave__survey=survey).count() > 0
    assert_same_scores(kept, oracle_scores(survey))


def test_a_changed_scoring_rule_rescores_before_anyone_reads(pulse):
    """Reverse-scoring switched off and a scale's cut moved: the figures read afterwards are
    the answers scored by the new rule, and the kept rows were rewritten."""
    survey = pulse["survey"]
    _, q2, *_ = pulse["questions"]
    before = kept_scores(survey)
    Question.objects.filter(pk=q2.pk).update(reverse_scored=False)
    survey_data(survey)  # any read
    after = kept_scores(survey)
    assert_same_scores(after, oracle_scores(survey))
    first = min(after)
    assert before[first][f"question:{q2.pk}"] == 5.0 and after[first][f"question:{q2.pk}"] == 1.0
    assert set(RespondentScore.objects.values_list("rules", flat=True)) == {survey.scoring_digest()}


def test_responses_stored_around_the_services_are_scored_when_read(pulse):
    """A response written straight to the tables (no kept row yet) still counts, scored."""
    survey, wave = pulse["survey"], pulse["wave"]
    q1, q2, q3, *_ = pulse["questions"]
    extra = add_response(wave, {q1: 1, q2: 5, q3: 1})
    assert not RespondentScore.objects.filter(response=extra).exists()
    disclosure.publish_survey(survey)
    assert_same_scores(kept_scores(survey), oracle_scores(survey))


def test_rebuild_scores_is_idempotent_and_says_how_far_it_got(pulse):
    survey, wave = pulse["survey"], pulse["wave"]
    q1, *_ = pulse["questions"]
    add_response(wave, {q1: 3})
    RespondentScore.objects.filter(response__in=list(Response.objects.order_by("pk")[:2])).update(
        scores={}, rules="old"
    )
    out = StringIO()
    call_command("rebuild_scores", stdout=out)
    assert "pulse: 3 response(s) scored" in out.getvalue()
    assert "3 of 3 responses scored" in out.getvalue()
    assert_same_scores(kept_scores(survey), oracle_scores(survey))
    again = StringIO()
    call_command("rebuild_scores", "--survey", "pulse", stdout=again)
    assert "pulse: 0 response(s) scored" in again.getvalue()
    everything = StringIO()
    call_command("rebuild_scores", "--all", stdout=everything)
    assert "pulse: 6 response(s) scored" in everything.getvalue()


def test_rebuild_scores_names_an_unknown_survey():
    with pytest.raises(CommandError, match="No survey with slug 'nope'"):
        call_command("rebuild_scores", "--survey", "nope")


def test_a_deleted_response_takes_its_scores_with_it(pulse):
    response = Response.objects.order_by("pk").first()
    response.delete()
    assert not RespondentScore.objects.filter(response_id=response.pk).exists()


def test_scores_at_submission_equal_the_scores_read_back_from_the_answers():
    """One response scored as it is submitted (arrays of one, no frame) gets exactly the
    scores the wave's frame of stored answers gives it: reverse-scored items, a dimension
    split across two scales (so the overall is rescaled to 0–100), a 0–10, skips,
    "don't know", a multiple choice with "other" and people who skip it."""
    import random

    from reports.queries import score_responses

    survey = make_survey(slug="mixed")
    fast = [
        add_question(survey, Question.RATING_5, dimension="Speed"),
        add_question(survey, Question.RATING_5, dimension="Speed", reverse_scored=True),
        add_question(survey, Question.RATING_7, dimension="Speed"),
        add_question(survey, Question.RATING_5, dimension="Care", dont_know_label="Don't know"),
        add_question(survey, Question.RATING_7, dimension="Care", reverse_scored=True),
        add_question(survey, Question.RATING_5, dimension="Tools"),
        add_question(survey, Question.SCALE_10, likelihood_to_recommend=True),
    ]
    tools = add_question(survey, Question.MULTIPLE, choices=["Mail", "Chat", "Other"])
    tools.choices.filter(label="Other").update(is_other=True)
    wave = make_wave(survey, "open")
    questions = list(survey.questions.prefetch_related("choices"))
    options = list(tools.choices.all())
    chance = random.Random(16)
    for _ in range(60):
        answers = {}
        for question in fast:
            low, high = question.scale
            roll = chance.random()
            if roll < 0.2:
                continue  # skipped
            if roll < 0.3 and question.dont_know_label:
                answers[question] = Question.DONT_KNOW
            else:
                answers[question] = chance.randint(low, high)
        answers[tools] = chance.sample(options, chance.randint(0, 3)) or None
        every = {q: answers.get(q) for q in questions}
        services.response_submit(wave=wave, answers=every, other_texts={tools: "Pager"})
    kept = kept_scores(survey)
    read_back = score_responses(survey, list(kept))
    assert kept == read_back  # exactly: the same floats, the same measures
    assert any("overall" in scores for scores in kept.values())
    assert {k for scores in kept.values() for k in scores} >= {
        "overall",
        "dimension:Speed [1-5]",
        "dimension:Speed [1-7]",
        f"question:{fast[6].pk}",
        choice_key(tools.pk, options[2].pk),
    }


def test_a_rule_changed_between_two_submissions_scores_the_second_by_the_new_rule(pulse):
    """What scoring works out once per version of the questions is not reused after an edit."""
    survey, wave = pulse["survey"], pulse["wave"]
    _, q2, *_ = pulse["questions"]

    def submit_one_on_q2() -> dict:
        questions = list(survey.questions.prefetch_related("choices"))
        answers = {q: (1 if q.pk == q2.pk else None) for q in questions}
        response = services.response_submit(wave=wave, answers=answers, source=Response.LINK)
        return RespondentScore.objects.get(response=response).scores

    assert submit_one_on_q2()[f"question:{q2.pk}"] == 5.0  # reverse-scored on 1–5
    Question.objects.filter(pk=q2.pk).update(reverse_scored=False)
    assert submit_one_on_q2()[f"question:{q2.pk}"] == 1.0


def test_scoring_column_by_column_gives_what_scoring_the_stored_answers_gives():
    """An import scores its numbers column by column (``score_answered``); the same
    responses scored from their stored answers get exactly the same scores, wording
    versions counted as one measure, skips and ticks too."""
    import random

    from reports.queries import score_answered, score_responses

    survey = make_survey(slug="columns")
    old = add_question(survey, Question.RATING_5, dimension="Speed", retired=True)
    new = add_question(survey, Question.RATING_5, dimension="Speed", text="Reworded", lineage=old)
    other = add_question(survey, Question.RATING_7, dimension="Care", reverse_scored=True)
    score = add_question(survey, Question.SCALE_10, likelihood_to_recommend=True)
    pick = add_question(survey, Question.SINGLE, choices=["Yes", "No"])
    channels = add_question(survey, Question.MULTIPLE, choices=["Email", "Chat"], retired=True)
    channels_now = add_question(
        survey, Question.MULTIPLE, choices=["Chat", "Portal"], text="Now", lineage=channels
    )
    wave = make_wave(survey, "open")
    chance = random.Random(7)
    for index in range(80):
        answers = {}
        # A response answers the wording its form showed: the old one, then the new one
        # (and a few, imported from two columns, both: their largest counts).
        wording = old if index < 40 else new
        for question, (low, high) in ((wording, (1, 5)), (other, (1, 7)), (score, (0, 10))):
            if chance.random() < 0.6:
                answers[question] = chance.randint(low, high)
        if index % 10 == 0:
            answers[old], answers[new] = 1 + index % 3, 5 - index % 2
        add_response(wave, answers)
    ids = list(Response.objects.filter(wave=wave).order_by("pk").values_list("pk", flat=True))
    for response in ids[::3]:
        Answer.objects.create(response_id=response, question=pick, choice=pick.choices.first())
    # A multiple choice in two wording versions: the options ticked under either count.
    for response in ids[::2]:
        for version in (channels, channels_now) if response % 3 else (channels,):
            for choice in version.choices.all()[: 1 + response % 2]:
                Answer.objects.create(response_id=response, question=version, choice=choice)
    stored = {
        (response, question): number
        for response, question, number in Answer.objects.filter(number__isnull=False).values_list(
            "response_id", "question_id", "number"
        )
    }
    columns = {q.pk: [stored.get((r, q.pk)) for r in ids] for q in (old, new, other, score)}
    chosen = {}
    for question in (pick, channels, channels_now):
        ticked = {}
        for response, choice in Answer.objects.filter(question=question).values_list(
            "response_id", "choice_id"
        ):
            ticked.setdefault(response, []).append(choice)
        chosen[question.pk] = [tuple(ticked.get(r, ())) for r in ids]
    questions = list(survey.questions.prefetch_related("choices"))
    by_columns = score_answered(questions, ids, columns, chosen)
    assert by_columns == score_responses(survey, ids)
    reworded = [r for r in ids if (r, new.pk) in stored]
    assert reworded and all(
        by_columns[r][f"question:{old.pk}"] == max(stored[(r, new.pk)], stored.get((r, old.pk), 0))
        for r in reworded
    )


def test_an_imports_scores_are_encoded_as_the_text_of_each_responses_scores():
    """``encode_answered`` builds the kept scores' JSON a measure at a time, for imports:
    each response's text is exactly ``json.dumps`` of what ``score_answered`` gives it,
    whatever was skipped: no number, no option, a dimension named with quotes and
    accents, wording versions of a rating and of a multiple choice, an option of a later
    version only."""
    import random

    from reports.queries import encode_answered, score_answered

    survey = make_survey(slug="encoded")
    old = add_question(survey, Question.RATING_5, dimension='Ça "marche"', retired=True)
    new = add_question(survey, Question.RATING_5, dimension='Ça "marche"', text="Reworded", lineage=old)
    other = add_question(survey, Question.RATING_7, dimension="Care", reverse_scored=True)
    score = add_question(survey, Question.SCALE_10, likelihood_to_recommend=True)
    channels = add_question(survey, Question.MULTIPLE, choices=["Email", "Chat", "Phone"], retired=True)
    later = add_question(
        survey, Question.MULTIPLE, choices=["Email", "Portal"], text="Channels now", lineage=channels
    )
    device = add_question(survey, Question.SINGLE, choices=["Laptop", "Desktop"])
    questions = list(survey.questions.prefetch_related("choices"))
    options = {q.pk: [c.pk for c in q.choices.all()] for q in (channels, later, device)}
    chance = random.Random(11)
    ids = list(range(1000, 1400))

    def column(low, high, share):
        return [chance.randint(low, high) if chance.random() < share else None for _ in ids]

    numbers = {old.pk: column(1, 5, 0.3), new.pk: column(1, 5, 0.4), other.pk: column(1, 7, 0.5)}
    numbers[score.pk] = column(0, 10, 0.5)
    chosen = {
        q: [tuple(chance.sample(picks, chance.randint(0, len(picks)))) for _ in ids]
        for q, picks in options.items()
    }
    dicts = score_answered(questions, ids, numbers, chosen)
    encoded = encode_answered(questions, ids, numbers, chosen)
    assert encoded == [(r, json.dumps(dicts[r])) for r in ids]
    # Every kind of row was met: none scored at all, choices only, numbers only.
    assert {"{}"} < {text for _, text in encoded}
    assert any(scores and all(key.startswith("choice:") for key in scores) for scores in dicts.values())
    assert any(scores and not any(key.startswith("choice:") for key in scores) for scores in dicts.values())
    assert all(json.loads(text) == dicts[r] for r, text in encoded)
    # No answers at all: an empty entry each.
    assert encode_answered(questions, ids[:3], {}, {}) == [(r, "{}") for r in ids[:3]]

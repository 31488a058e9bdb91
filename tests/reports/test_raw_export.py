"""The raw responses download: what each row holds for every kind of question and each
anonymity mode, and that reading it costs the same few queries however many answered."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import queries
from surveys import services
from surveys.models import Choice, Question, Survey
from tests.factories import add_question, make_departments, make_past_waves, make_survey, make_user

pytestmark = pytest.mark.django_db

# One respondent a line: department, then the answers to rating, 0–10, single choice
# (with the words for "Other"), multiple choice, comment and the retired question.
PEOPLE = [
    ("Finance", 5, 10, "Laptop", "", ["Mail", "Chat"], "More printers", None),
    ("Finance", 4, 9, "Other", "A tablet", ["Wiki"], "=SUM(A1)", 2),
    ("Finance", 3, 0, "Other", "", [], "", None),
    ("Finance", 2, None, "Desktop", "", ["Mail", "Chat", "Wiki"], "Slow; very slow", None),
    ("Finance", 1, 7, None, "", ["Chat"], "", None),
    ("Sales", 4, 8, "Laptop", "", ["Mail"], "", None),
    ("Sales", 4, 8, "Laptop", "", ["Mail"], "", None),
    ("Sales", 5, 6, "Desktop", "", [], "Fine", None),
    ("Sales", None, 5, "Laptop", "", ["Wiki", "Chat"], "", None),
    ("Sales", 3, 4, "Other", "Phone, mostly", ["Chat"], "", 4),
    ("Legal", 2, 3, "Laptop", "", ["Mail"], "Only one of us", None),
]


def mixed_survey(anonymity: str) -> tuple[Survey, list]:
    """Every kind of question, one wave of the PEOPLE above answering by personal links,
    and a later wave too small to show (two people)."""
    survey = make_survey(slug="mixed", anonymity=anonymity)
    rating = add_question(survey, Question.RATING_5, text="IT is reliable", dimension="Reliability")
    scale = add_question(survey, Question.SCALE_10, text="Recommend IT?")
    single = add_question(survey, Question.SINGLE, text="Main device", choices=["Laptop", "Desktop"])
    Choice.objects.create(question=single, order=9, label="Other", is_other=True)
    multiple = add_question(survey, Question.MULTIPLE, text="Apps you use", choices=["Mail", "Chat", "Wiki"])
    comment = add_question(survey, Question.TEXT, text="Change one thing")
    retired = add_question(survey, Question.RATING_5, text="Old wording", retired=True)
    departments = {d.name: d for d in make_departments("Finance", "Sales", "Legal")}
    wave, small = make_past_waves(survey, ["2026 Q1", "2026 Q2"])
    expected = []
    for number, (department, *values) in enumerate(PEOPLE):
        rated, scaled, picked, words, ticked, text, old = values
        email = f"person{number}@example.org"
        invitation = services.invitation_issue(
            wave=wave, email=email, department=departments[department], department_verified=True
        ).invitation
        answers = {
            rating: rated,
            scale: scaled,
            single: single.choices.get(label=picked) if picked else None,
            multiple: [multiple.choices.get(label=label) for label in ticked],
            comment: text,
            retired: old,
        }
        response = services.response_submit(
            wave=wave,
            answers=answers,
            invitation=invitation,
            now=wave.opens + timedelta(hours=number, minutes=7),
            other_texts={single: words},
        )
        identity = {
            Survey.ANONYMOUS: [],
            Survey.PSEUDONYMOUS: [response.respondent_key],
            Survey.IDENTIFIED: [email],
        }[anonymity]
        submitted = [] if anonymity == Survey.ANONYMOUS else [response.submitted.isoformat()]
        expected.append(
            [
                wave.label,
                *submitted,
                department,
                *identity,
                None if rated is None else float(rated),
                None if scaled is None else float(scaled),
                (f"{picked}: {words}" if words else picked) or None,
                "; ".join(ticked) or None,
                text or None,
                None if old is None else float(old),
            ]
        )
    for number in range(2):
        services.response_submit(wave=small, answers={rating: 5}, now=small.opens + timedelta(hours=number))
    return survey, expected


def sorted_rows(rows) -> list[list]:
    return sorted(rows, key=repr)


@pytest.mark.parametrize("anonymity", [Survey.PSEUDONYMOUS, Survey.IDENTIFIED])
def test_raw_rows_hold_every_kind_of_answer_with_the_identity_the_survey_declares(anonymity):
    """Numbers, option labels, "Other: words", ticked options joined with "; ", text as
    typed (neutralised only when written), the submission time, the department, and the
    respondent key or the address; the wave too small to show is left out whole."""
    survey, expected = mixed_survey(anonymity)
    header, rows = queries.raw_responses(survey)
    identity = {Survey.PSEUDONYMOUS: "respondent key", Survey.IDENTIFIED: "email"}[anonymity]
    assert header == [
        "row",
        "wave",
        "submitted",
        "department",
        identity,
        "IT is reliable",
        "Recommend IT?",
        "Main device",
        "Apps you use",
        "Change one thing",
        "Old wording",
    ]
    rows = list(rows)
    assert [row[0] for row in rows] == list(range(1, len(PEOPLE) + 1))
    assert sorted_rows(row[1:] for row in rows) == sorted_rows(expected)


def test_anonymous_raw_rows_have_no_date_no_key_and_only_shown_departments():
    """The same answers; the department only where the published cells show it."""
    survey, expected = mixed_survey(Survey.ANONYMOUS)
    header, rows = queries.raw_responses(survey)
    assert header[:3] == ["row", "wave", "department"]
    assert "respondent key" not in header and "email" not in header and "submitted" not in header
    # Legal (one person) is hidden, and Finance with it so that Legal cannot be found by
    # subtracting Finance and Sales from the total: only Sales is named.
    for row in expected:
        if row[1] != "Sales":
            row[1] = ""
    assert sorted_rows(row[1:] for row in rows) == sorted_rows(expected)


def download(client, slug: str) -> tuple[int, int]:
    """Rows received and queries run for one CSV download, read to the end."""
    with CaptureQueriesContext(connection) as queries_run:
        response = client.get(reverse("reports:responses_csv") + f"?survey={slug}")
        lines = b"".join(response.streaming_content).count(b"\n")
    return lines - 1, len(queries_run)


def test_the_number_of_queries_does_not_grow_with_the_respondents(client, monkeypatch):
    """Five respondents or thirty in one chunk: the same queries, one set per chunk."""
    monkeypatch.setattr(queries, "RAW_EXPORT_CHUNK", 50)
    for slug, people in (("few", 5), ("many", 30)):
        survey = make_survey(slug=slug, anonymity=Survey.IDENTIFIED)
        rating = add_question(survey, Question.RATING_5, text="IT is reliable")
        multiple = add_question(survey, Question.MULTIPLE, text="Apps", choices=["Mail", "Chat"])
        (wave,) = make_past_waves(survey, ["2026 Q1"])
        for number in range(people):
            invitation = services.invitation_issue(wave=wave, email=f"p{number}@example.org").invitation
            services.response_submit(
                wave=wave,
                answers={rating: 1 + number % 5, multiple: list(multiple.choices.all())},
                invitation=invitation,
                now=wave.opens + timedelta(hours=1),
            )
    admin = make_user("root")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    download(client, "few"), download(client, "many")  # the first read publishes the wave
    few, many = download(client, "few"), download(client, "many")
    assert (few[0], many[0]) == (5, 30)
    assert few[1] == many[1]

"""Large imports: what the bulk path stores is exactly what the file says, problems are
listed row by row, and on PostgreSQL the answers' foreign keys, set aside while a large
import stores its answers, come back as they were, checked, or the import fails whole."""

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from perception.lib import respondent_scoring
from surveys import bulk
from surveys.models import Answer, Question, RespondentScore, Response, Survey

AGREEMENT = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]
HEADER = [
    "Timestamp",
    "Department",
    "Statement 1",
    "Statement 2",
    "Recommend",
    "Device",
    "Channels",
    "Comment",
]
ROWS = 45


def row(index: int) -> list[str]:
    """A varied row: skipped cells, several ticked options, text that COPY must escape."""
    return [
        f"10/{1 + index % 28}/2026 {9 + index % 8}:{index % 60:02d}:07",
        f"Dept {index % 3}" if index % 5 else "",
        AGREEMENT[index % 5],
        "" if index % 4 == 0 else AGREEMENT[(index * 3) % 5],
        str(index % 11),
        ["Laptop", "Desktop", "Tablet"][index % 3],
        ["Email", "Email, Chat", "", "Chat, Phone, Portal"][index % 4],
        ["", "Faster laptops", "C:\\temp\tand\nlines\\N", "ok"][index % 4],
    ]


def write_export(path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(row(index) for index in range(rows))


def import_file(tmp_path, slug: str, rows: int = ROWS) -> None:
    path = tmp_path / f"{slug}.csv"
    write_export(path, rows)
    mapping = tmp_path / f"{slug}.json"
    mapping.write_text(
        json.dumps(
            {
                "columns": {"Channels": "multiple", "Comment": "text", "Device": "single"},
                "scales": {"Recommend": {"low": 0, "high": 10}},
            }
        )
    )
    call_command(
        "import_responses",
        str(path),
        *("--survey", slug, "--confirm-scales", "--mapping", str(mapping)),
        stdout=StringIO(),
    )


def stored_rows(slug: str) -> list[list]:
    """The stored responses as the file's columns, in the order they were stored."""
    survey = Survey.objects.get(slug=slug)
    by_text = {q.text: q for q in survey.questions.all()}
    rows = []
    for response in Response.objects.filter(wave__survey=survey).order_by("pk").select_related("department"):
        answers = list(response.answers.select_related("choice").order_by("pk"))

        def of(header, answers=answers):
            question = by_text[header]
            found = [a for a in answers if a.question_id == question.pk]
            if question.kind == Question.MULTIPLE:
                return ", ".join(a.choice.label for a in found)
            if question.kind == Question.SINGLE:
                return found[0].choice.label if found else ""
            if question.kind == Question.TEXT:
                return found[0].text if found else ""
            return found[0].number if found else None

        rows.append(
            [
                response.department.name if response.department else "",
                *(of(header) for header in HEADER[2:]),
            ]
        )
    return rows


def expected_rows(rows: int) -> list[list]:
    expected = []
    for index in range(rows):
        cells = row(index)
        points = [None if not label else AGREEMENT.index(label) + 1 for label in cells[2:4]]
        expected.append([cells[1], *points, int(cells[4]), *cells[5:]])
    return expected


@pytest.mark.django_db
def test_every_cell_is_stored_as_the_file_says_across_batches(tmp_path, monkeypatch):
    """Rows cross several batches (and, on PostgreSQL, the answers' keys are checked once)."""
    monkeypatch.setattr(bulk, "ROWS_PER_BATCH", 7)
    monkeypatch.setattr(bulk, "CHECK_KEYS_ONCE_FROM", 10)
    import_file(tmp_path, "scale")
    assert stored_rows("scale") == expected_rows(ROWS)
    survey = Survey.objects.get(slug="scale")
    responses = Response.objects.filter(wave__survey=survey)
    assert RespondentScore.objects.filter(response__in=responses).count() == ROWS
    # Every column had answers: each question says so (the builder asks it, not the answers).
    assert set(survey.questions.values_list("answered", flat=True)) == {True}
    # Answers are stored response by response, so reading them back in id order keeps
    # each response's answers together.
    owners = list(
        Answer.objects.filter(response__in=responses).order_by("pk").values_list("response_id", flat=True)
    )
    assert owners == sorted(owners)


@pytest.mark.django_db
def test_problems_are_listed_row_by_row_then_column_by_column(tmp_path):
    path = tmp_path / "bad.csv"
    rows = [row(index) for index in range(8)]
    rows[5][4] = "12"  # outside 0–10
    rows[2][0] = "yesterday"  # not a date
    rows[2][4] = "11"
    path.write_text("\n".join(",".join(f'"{cell}"' for cell in line) for line in [HEADER, *rows]) + "\n")
    mapping = tmp_path / "bad.json"
    mapping.write_text(json.dumps({"scales": {"Recommend": {"low": 0, "high": 10}}}))
    with pytest.raises(CommandError) as refused:
        call_command(
            "import_responses",
            str(path),
            *("--survey", "bad", "--confirm-scales", "--mapping", str(mapping)),
            stdout=StringIO(),
        )
    lines = [line for line in str(refused.value).splitlines() if line.startswith("Row ")]
    assert lines == [
        "Row 4, column 'Timestamp': 'yesterday' is not a date and time.",
        "Row 4, column 'Recommend': 11 is outside the declared scale 0–10.",
        "Row 7, column 'Recommend': 12 is outside the declared scale 0–10.",
    ]
    assert not Survey.objects.filter(slug="bad").exists()


# -- PostgreSQL: the answers' foreign keys ------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the foreign keys are set aside only on PostgreSQL"
)


def answer_keys() -> set[tuple[str, str, bool]]:
    """Every foreign key of surveys_answer: name, definition, whether it is validated."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid = 'surveys_answer'::regclass AND contype = 'f'"
        )
        return set(cursor.fetchall())


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_large_import_puts_the_answers_keys_back_as_they_were_and_checked(tmp_path, monkeypatch):
    before = answer_keys()
    assert {definition.split(" REFERENCES ")[1].split("(")[0] for _, definition, _ in before} >= {
        "surveys_response",
        "surveys_question",
        "surveys_choice",
    }
    monkeypatch.setattr(bulk, "CHECK_KEYS_ONCE_FROM", 10)
    import_file(tmp_path, "keys")
    assert answer_keys() == before
    assert stored_rows("keys") == expected_rows(ROWS)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_answer_pointing_at_nothing_fails_the_whole_transaction(monkeypatch):
    """The keys are checked once at the end, but checked: nothing is stored."""
    from tests.factories import add_question, make_survey, make_wave

    survey = make_survey()
    question = add_question(survey, Question.RATING_5)
    wave = make_wave(survey)
    before, answers = answer_keys(), Answer.objects.count()
    monkeypatch.setattr(bulk, "CHECK_KEYS_ONCE_FROM", 2)
    with pytest.raises(IntegrityError), transaction.atomic():
        response = Response.objects.create(wave=wave, respondent_key="k")
        missing = response.pk + 1000
        bulk.insert_answer_columns([response.pk, missing], [(bulk.NUMBER, question.pk, [3.0, 4.0])])
    assert answer_keys() == before
    assert Answer.objects.count() == answers
    assert not Response.objects.filter(respondent_key="k").exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_whole_table_is_validated_after_the_commit_not_inside_the_lock(tmp_path, monkeypatch):
    """Validating a key is a pass over every answer; the import checks its own rows and
    leaves that pass to a task after its commit, which blocks neither reads nor writes."""
    before = answer_keys()
    queued = []
    monkeypatch.setattr(bulk, "CHECK_KEYS_ONCE_FROM", 10)
    monkeypatch.setattr(bulk, "_validate_after_commit", lambda: queued.append(Answer.objects.count()))
    import_file(tmp_path, "later")
    assert queued == [Answer.objects.count()]  # asked once the answers were committed
    unvalidated = answer_keys()
    assert {(name, definition.removesuffix(" NOT VALID")) for name, definition, _ in unvalidated} == {
        (name, definition) for name, definition, _ in before
    }
    assert not any(valid for _, _, valid in unvalidated)
    import_file(tmp_path, "again")  # a second import before the task ran puts them back alike
    assert {(name, valid) for name, _, valid in answer_keys()} == {
        (name, valid) for name, _, valid in unvalidated
    }
    assert bulk.validate_answer_keys() == len(before)
    assert answer_keys() == before
    assert bulk.validate_answer_keys() == 0  # nothing left to validate


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("missing", ["question", "choice"])
def test_an_answer_pointing_at_a_missing_question_or_choice_fails_the_whole_transaction(missing, monkeypatch):
    from tests.factories import add_question, make_survey, make_wave

    survey = make_survey()
    rating = add_question(survey, Question.RATING_5)
    choice = add_question(survey, Question.SINGLE, choices=["Yes", "No"]).choices.first()
    wave = make_wave(survey)
    before, answers = answer_keys(), Answer.objects.count()
    monkeypatch.setattr(bulk, "CHECK_KEYS_ONCE_FROM", 2)
    question = rating.pk + 1000 if missing == "question" else rating.pk
    choice_id = choice.pk + 1000 if missing == "choice" else choice.pk
    with pytest.raises(IntegrityError, match=f"surveys_{missing}"), transaction.atomic():
        first = Response.objects.create(wave=wave, respondent_key="a")
        second = Response.objects.create(wave=wave, respondent_key="b")
        bulk.insert_answer_columns(
            [first.pk, second.pk],
            [(bulk.NUMBER, question, [3.0, 4.0]), (bulk.CHOICES, choice.question_id, [(choice_id,), ()])],
        )
    assert answer_keys() == before
    assert Answer.objects.count() == answers
    assert not Response.objects.filter(wave=wave).exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_import_failing_after_its_answers_leaves_keys_and_data_as_they_were(tmp_path, monkeypatch):
    import_file(tmp_path, "first")
    before, answers, responses = answer_keys(), Answer.objects.count(), Response.objects.count()

    def broken(*args):
        raise RuntimeError("scoring failed")

    monkeypatch.setattr(bulk, "CHECK_KEYS_ONCE_FROM", 10)
    monkeypatch.setattr(respondent_scoring, "encoded_scores", broken)
    with pytest.raises(RuntimeError, match="scoring failed"):
        import_file(tmp_path, "second")
    assert answer_keys() == before
    assert (Answer.objects.count(), Response.objects.count()) == (answers, responses)
    assert not Survey.objects.filter(slug="second").exists()


@pytest.mark.parametrize(
    "cell",
    [
        "10/1/2026 9:05:07",
        "10/01/2026 09:05",
        "10/1/2026 9:05:07 PM",
        "10/1/26 12:00 AM",
        "02/29/2024 23:59:59",
        "02/29/2023 10:00",  # no such day
        "10/1/2026 24:00",  # no such hour
        "10/1/2026  9:05:07",  # two spaces
        "10/1/2026\t9:05",
        "13.10.2026 9:05:07",
        "2026/10/01 9:05:07 PM",
        "10/ 1/2026 9:05",
        "10/1/2026 9:05:07 XM",
    ],
)
def test_a_timestamp_reads_as_the_first_format_that_reads_it_whole(cell):
    """Dates and times read apart (and remembered) give what strptime gives the whole cell."""
    from datetime import datetime

    from surveys.imports.mapping import TIMESTAMP_FORMATS, _parse_timestamp

    def whole(pattern):
        try:
            return datetime.strptime(cell, pattern)
        except ValueError:
            return None

    expected = next((found for found in map(whole, TIMESTAMP_FORMATS) if found is not None), None)
    assert _parse_timestamp(cell, []) == expected
    assert _parse_timestamp(cell, []) == expected  # and again, from what was remembered


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_keys_are_never_set_aside(monkeypatch):
    """Each statement would commit alone: the answers are checked as they are stored instead."""
    from tests.factories import add_question, make_survey

    question = add_question(make_survey(), Question.RATING_5)
    before = answer_keys()
    monkeypatch.setattr(bulk, "CHECK_KEYS_ONCE_FROM", 1)
    with pytest.raises(IntegrityError):
        bulk.insert_answer_columns([987_654_321], [(bulk.NUMBER, question.pk, [3.0])])
    assert answer_keys() == before
    assert not Answer.objects.exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_large_import_behind_a_long_reader_stores_with_row_checks_instead_of_queueing_everyone(
    tmp_path, monkeypatch
):
    """Waiting for ACCESS EXCLUSIVE behind a long query would make every later submission
    and page wait behind the import as well: after LOCK_WAIT_SECONDS it stores the answers
    with the row-by-row checks, taking no such lock, and everything is stored."""
    import psycopg

    settings_dict = connection.settings_dict
    before = answer_keys()
    monkeypatch.setattr(bulk, "CHECK_KEYS_ONCE_FROM", 10)
    monkeypatch.setattr(bulk, "LOCK_WAIT_SECONDS", 0.2)
    reader = psycopg.connect(
        host=settings_dict["HOST"] or "127.0.0.1",
        port=settings_dict["PORT"] or 5432,
        user=settings_dict["USER"],
        dbname=settings_dict["NAME"],
    )
    try:
        reader.execute("SELECT count(*) FROM surveys_question")  # a reader, its transaction still open
        import_file(tmp_path, "queued")
    finally:
        reader.close()
    assert answer_keys() == before
    assert stored_rows("queued") == expected_rows(ROWS)


@pytest.mark.skipif(
    connection.vendor != "sqlite",
    reason="SQLite only: PostgreSQL's page cache belongs to the server, which an import leaves alone",
)
@pytest.mark.django_db
def test_an_import_gives_back_its_larger_page_cache(tmp_path):
    """The connection lives on (kept between requests): the 256 MB page cache an import
    stores with is set back to what it was once the answers are stored."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
    import_file(tmp_path, "cache")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == before != -bulk.SQLITE_CACHE_KIB
    assert stored_rows("cache") == expected_rows(ROWS)

"""Writing many answers at once, by the database's own bulk path.

The ORM's bulk_create builds one Python object per row; for the millions of answers an
import or a benchmark writes, COPY (PostgreSQL) or executemany (SQLite) is many times
faster. Used inside the caller's transaction.
"""

import io
import json

from django.db import connection

COLUMNS = "(response_id, question_id, number, choice_id, text)"


def insert_numeric_answers(response_ids, question_ids, values) -> None:
    """Insert answers given as three aligned sequences: response id, question id, number."""
    rows = zip(list(response_ids), list(question_ids), list(values), strict=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            copy_sql = "COPY surveys_answer (response_id, question_id, number, text) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                buffer = io.StringIO()
                for response_id, question_id, value in rows:
                    buffer.write(f"{response_id}\t{question_id}\t{value}\t\n")
                copy.write(buffer.getvalue())
    else:
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO surveys_answer (response_id, question_id, number, text) VALUES (%s, %s, %s, '')",
                rows,
            )


NULL = "\\N"
# From this many rows COPY is cheaper than an INSERT (it costs a few more round trips).
COPY_FROM_ROWS = 20


def _copy_text(text: str) -> str:
    """Escape text for COPY's text format: backslash, tab, newline and carriage return."""
    if not text:
        return ""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def insert_answers(rows: list[tuple]) -> None:
    """Insert (response id, question id, number or None, choice id or None, text) rows."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        for response_id, question_id, number, choice_id, text in rows:
            buffer.write(
                f"{response_id}\t{question_id}\t{NULL if number is None else number}\t"
                f"{NULL if choice_id is None else choice_id}\t{_copy_text(text)}\n"
            )
        with connection.cursor() as cursor:
            # Check the foreign keys row by row now rather than queue millions of checks
            # for the commit, which PostgreSQL does far more slowly.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            with cursor.cursor.copy(f"COPY surveys_answer {COLUMNS} FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO surveys_answer {COLUMNS} VALUES (%s, %s, %s, %s, %s)", rows)  # noqa: S608


def insert_response_answers(rows: list[tuple]) -> None:
    """Insert one response's answers, (response id, question id, number or None, choice id
    or None, text) rows, as one multi-row INSERT: a submission's few dozen rows without
    building a model object, or compiling an ORM query, for each."""
    if not rows:
        return
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "surveys_answer" ("response_id", "question_id", "number", "choice_id", "text") '  # noqa: S608
            f"VALUES {values}",
            [value for row in rows for value in row],
        )


def insert_respondent_scores(
    rules: str, scores: dict[int, dict[str, float]], *, replace: bool = False
) -> None:
    """Insert one ``surveys_respondentscore`` row per response: its scores under ``rules``.
    With ``replace``, rows already there are overwritten (an upsert, so two readers
    rescoring the same responses at once both succeed); without, COPY on PostgreSQL for
    more than a few rows (a submission's one row is cheaper as a plain INSERT)."""
    if not scores:
        return
    rows = [(response_id, rules, json.dumps(measured)) for response_id, measured in scores.items()]
    if connection.vendor == "postgresql" and not replace and len(rows) >= COPY_FROM_ROWS:
        buffer = io.StringIO()
        for response_id, rule, measured in rows:
            buffer.write(f"{response_id}\t{rule}\t{_copy_text(measured)}\n")
        with connection.cursor() as cursor:
            with cursor.cursor.copy(
                "COPY surveys_respondentscore (response_id, rules, scores) FROM STDIN"
            ) as copy:
                copy.write(buffer.getvalue())
        return
    upsert = (
        " ON CONFLICT (response_id) DO UPDATE SET rules = excluded.rules, scores = excluded.scores"
        if replace
        else ""
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO surveys_respondentscore (response_id, rules, scores) VALUES (%s, %s, %s){upsert}",  # noqa: S608
            rows,
        )

"""Writing many answers at once, by the database's own bulk path.

The ORM's bulk_create builds one Python object per row; for the millions of answers an
import or a benchmark writes, COPY (PostgreSQL) or executemany (SQLite) is many times
faster. Used inside the caller's transaction.
"""

import io

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


def insert_answers(rows: list[tuple]) -> None:
    """Insert (response id, question id, number or None, choice id or None, text) rows."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY surveys_answer {COLUMNS} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO surveys_answer {COLUMNS} VALUES (%s, %s, %s, %s, %s)", rows)  # noqa: S608

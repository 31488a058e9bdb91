"""Writing many responses, answers and scores at once, by the database's own bulk path.

The ORM's bulk_create builds one Python object per row; for the millions of answers an
import or a benchmark writes, COPY (PostgreSQL) or multi-row INSERTs (SQLite) are many
times faster. An import hands its answers over column by column (``insert_answer_columns``),
as it read them; they are stored response by response. On PostgreSQL a large import's
answers are stored with their foreign keys set aside and then checked once
(``_foreign_keys_checked_once``, which says what that locks). Used inside the caller's
transaction.
"""

import io
import json
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager
from itertools import chain
from typing import TypeVar

from django.db import IntegrityError, connection, transaction
from psycopg.copy import QueuedLibpqWriter

COLUMNS = "(response_id, question_id, number, choice_id, text)"
T = TypeVar("T")


def mark_answered(question_ids) -> None:
    """Say of these questions that they have answers (``Question.answered``): whatever
    stores answers calls it, in the same transaction."""
    ids = sorted(set(question_ids))
    if ids:
        with connection.cursor() as cursor:
            listed = ", ".join(["%s"] * len(ids))
            cursor.execute(
                f'UPDATE "surveys_question" SET "answered" = %s WHERE "id" IN ({listed}) AND NOT "answered"',  # noqa: S608
                [True, *ids],
            )


def insert_numeric_answers(response_ids, question_ids, values) -> None:
    """Insert answers given as three aligned sequences: response id, question id, number."""
    question_ids = list(question_ids)
    mark_answered(question_ids)
    rows = zip(list(response_ids), question_ids, list(values), strict=True)
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


# The kinds of answer column ``insert_answer_columns`` takes, by what each value is.
NUMBER, CHOICES, TEXT = "number", "choices", "text"
# The SQLite page cache (KiB) of a connection storing many rows: about 12% faster than
# the default 2 MB for an import's millions of answers.
SQLITE_CACHE_KIB = 256 * 1024
# Rows of answers prepared and sent at a time: bounds the memory the text of a COPY (or
# the tuples of an executemany) takes, whatever the size of the import.
ROWS_PER_BATCH = 10_000
# From this many answers, PostgreSQL checks the answers' foreign keys once over the whole
# table instead of once per row as COPY stores them (see ``_foreign_keys_checked_once``).
CHECK_KEYS_ONCE_FROM = 50_000
# The tables the answers' foreign keys point to, whose keys that check covers.
ANSWER_REFERENCES = ("surveys_response", "surveys_question", "surveys_choice")
LOCK_ORDER = ("surveys_question", "surveys_choice", "surveys_response", "surveys_answer")


def insert_responses(rows: list[tuple]) -> list[int]:
    """Insert (wave id, respondent key, department id or None, submitted, source) rows
    into ``surveys_response``; returns their ids, in the order of ``rows``. Inside the
    caller's transaction, which must already hold the database's write lock on SQLite (it
    has written something), so that nobody else takes ids meanwhile."""
    if not rows:
        return []
    # The driver's own COPY and cursors raise its errors: raise Django's, as everywhere else.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('surveys_response', 'id')) "
                "FROM generate_series(1, %s)",
                [len(rows)],
            )
            ids = sorted(value for (value,) in cursor.fetchall())
            columns = (
                "(id, wave_id, respondent_key, department_id, submitted, source, department_self_reported)"
            )
            with cursor.cursor.copy(f"COPY surveys_response {columns} FROM STDIN") as copy:
                for start in range(0, len(rows), ROWS_PER_BATCH):
                    copy.write(
                        "".join(
                            f"{id}\t{wave}\t{_copy_text(key)}\t{NULL if department is None else department}\t"
                            f"{submitted.isoformat()}\t{source}\tf\n"
                            for id, (wave, key, department, submitted, source) in zip(
                                ids[start : start + ROWS_PER_BATCH],
                                rows[start : start + ROWS_PER_BATCH],
                                strict=True,
                            )
                        )
                    )
            return ids
        # SQLite hands out ids above both the highest one and any deleted since
        # (AUTOINCREMENT); nobody else can insert while this transaction writes.
        cursor.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'surveys_response'), 0), "
            "coalesce((SELECT max(id) FROM surveys_response), 0))"
        )
        first = cursor.fetchone()[0] + 1
        ids = list(range(first, first + len(rows)))
        # UTC text, as the ORM stores it; each distinct time once (anonymous ones are days).
        stamps = {
            moment: connection.ops.adapt_datetimefield_value(moment) for moment in {row[3] for row in rows}
        }
        values = chain.from_iterable(
            (id, wave, key, department, stamps[submitted], source)
            for id, (wave, key, department, submitted, source) in zip(ids, rows, strict=True)
        )
        _insert_many(
            "surveys_response (id, wave_id, respondent_key, department_id, submitted, source, "
            "department_self_reported)",
            "(?, ?, ?, ?, ?, ?, 0)",
            list(values),
        )
        return ids


def insert_answer_columns(
    response_ids: list[int],
    columns: list[tuple[str, int, list]],
    *,
    progress: Callable[[int], None] | None = None,
    meanwhile: Callable[[], T] | None = None,
) -> T | None:
    """Insert answers given column by column, stored response by response.

    Each column is (kind, question id, values), one value per response of
    ``response_ids``: a number (``NUMBER``), a tuple of choice ids (``CHOICES``), a text
    (``TEXT``), or None (or an empty tuple or text) for no answer. ``progress`` gets the
    number of responses handed over after each batch. ``meanwhile`` is called once every
    answer has been handed over, while PostgreSQL is still storing them (work for the
    other core, rather than waiting; on SQLite, from a thread of this process while
    ``meanwhile`` runs in this one, so neither it nor ``progress``, which that thread
    calls, may use the database); its result is returned. Inside the caller's
    transaction, which an error leaves to roll back; PostgreSQL uses COPY, SQLite
    multi-row INSERTs."""
    total = sum(_answer_count(kind, values) for kind, _, values in columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:  # as in insert_responses
        if total and connection.vendor == "postgresql":
            references = _references(response_ids, columns)
            with _foreign_keys_checked_once(cursor, total >= CHECK_KEYS_ONCE_FROM, references):
                result = _copy_answers(cursor, response_ids, columns, progress, meanwhile)
        elif total and meanwhile is not None:
            result = _insert_answers_meanwhile(response_ids, columns, progress, meanwhile)
        else:
            if total:
                _insert_answers(response_ids, columns, progress)
            result = meanwhile() if meanwhile else None
    # Last: a large import holds its table locks by now, taken in the order submissions
    # take them; marking the questions first would hold their rows while it waited for
    # those locks, behind a submission waiting for the same rows (a deadlock).
    mark_answered(question for kind, question, values in columns if _answer_count(kind, values))
    return result


def _insert_answers_meanwhile(response_ids, columns, progress, meanwhile):
    """SQLite: store the answers from a thread while ``meanwhile`` runs in this one. The
    sqlite3 module lets go of the interpreter while SQLite stores rows, so the two share
    both cores; the connection is the same one (Django opens it shareable across
    threads) and ``meanwhile`` must not use it. The thread's error, if any, is raised
    here, and the caller's transaction rolls back."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-answers") as pool:
        # Django's connections belong to a thread: the thread is handed this one's.
        stored = pool.submit(_insert_answers, response_ids, columns, progress, connection.connection)
        try:
            result = meanwhile()
        finally:
            stored.result()  # waits; raises what storing raised
    return result


def _copy_answers(cursor, response_ids, columns, progress, meanwhile):
    # The queued writer sends from a thread of its own, so that the text of the next
    # rows, and then ``meanwhile``, are computed while the server stores the last ones.
    statement = f"COPY surveys_answer {COLUMNS} FROM STDIN"
    with cursor.cursor.copy(statement, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
        for start in range(0, len(response_ids), ROWS_PER_BATCH):
            end = start + ROWS_PER_BATCH
            ids = [str(id) for id in response_ids[start:end]]
            cells = [
                _copy_lines(kind, question, values[start:end], ids) for kind, question, values in columns
            ]
            # zip(*cells) turns the columns into rows: answers stored response by response.
            copy.write("".join(line for response in zip(*cells, strict=True) for line in response))
            if progress:
                progress(min(end, len(response_ids)))
        return meanwhile() if meanwhile else None


def _insert_answers(response_ids, columns, progress, driver=None) -> None:
    driver = driver or connection.connection
    # A larger page cache while the many rows are stored (SQLite's default is 2 MB), given
    # back afterwards: the connection may live on to serve requests.
    (default,) = driver.execute("PRAGMA cache_size").fetchone()
    driver.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    try:
        for start in range(0, len(response_ids), ROWS_PER_BATCH):
            end = start + ROWS_PER_BATCH
            ids = response_ids[start:end]
            cells = [
                _row_values(kind, question, values[start:end], ids) for kind, question, values in columns
            ]
            # zip(*cells) turns the columns into rows: answers stored response by response.
            _insert_many(
                f"surveys_answer {COLUMNS}",
                "(?, ?, ?, ?, ?)",
                list(chain.from_iterable(chain.from_iterable(zip(*cells, strict=True)))),
                driver,
            )
            if progress:
                progress(min(end, len(response_ids)))
    finally:
        driver.execute(f"PRAGMA cache_size = {int(default)}")
        driver.execute("PRAGMA shrink_memory")


def _insert_many(into: str, row: str, values: list, driver=None) -> None:
    """Insert rows given as one flat list of values on SQLite, many rows per statement:
    executemany steps one statement per row, about twice the time of the same rows as
    multi-row VALUES. On the driver's own cursor (same connection and transaction) with
    its "?" marks: Django would rewrite every "%s" of every such statement. ``driver``:
    the sqlite3 connection, when not this thread's Django connection."""
    width = row.count("?")
    driver = driver or connection.connection
    per_statement = min(driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), 30_000) // width * width
    cursor = driver.cursor()
    statements: dict[int, str] = {}
    for first in range(0, len(values), per_statement):
        chunk = values[first : first + per_statement]
        rows = len(chunk) // width
        if rows not in statements:
            statements[rows] = f"INSERT INTO {into} VALUES {', '.join([row] * rows)}"  # noqa: S608
        cursor.execute(statements[rows], chunk)


def _answer_count(kind: str, values: list) -> int:
    if kind == CHOICES:
        return sum(len(v) for v in values if v)
    return len(values) - values.count(None) - (values.count("") if kind == TEXT else 0)


def _copy_lines(kind: str, question: int, values: list, ids: list[str]) -> list[str]:
    """One column's answers as COPY text, one string per response ("" for no answer)."""
    if kind == TEXT:
        return [
            f"{id}\t{question}\t\\N\t\\N\t{_copy_text(v)}\n" if v else ""
            for id, v in zip(ids, values, strict=True)
        ]
    # Numbers and choices repeat: each distinct value's end of line is written once.
    if kind == NUMBER:
        ends = {v: f"\t{question}\t{float(v)!r}\t\\N\t\n" for v in set(values) if v is not None}
        return [id + ends[v] if v is not None else "" for id, v in zip(ids, values, strict=True)]
    # Several ticked options are several lines, each starting with the response id.
    ends = {v: [f"\t{question}\t\\N\t{choice}\t\n" for choice in v] for v in set(values) if v}
    return [id + id.join(ends[v]) if v else "" for id, v in zip(ids, values, strict=True)]


def _row_values(kind: str, question: int, values: list, ids: list[int]) -> list[tuple]:
    """One column's answers as one tuple per response: five values for each answer row."""
    if kind == TEXT:
        return [(id, question, None, None, v) if v else () for id, v in zip(ids, values, strict=True)]
    if kind == NUMBER:
        return [
            (id, question, v, None, "") if v is not None else () for id, v in zip(ids, values, strict=True)
        ]
    return [
        tuple(chain.from_iterable((id, question, None, choice, "") for choice in v)) if v else ()
        for id, v in zip(ids, values, strict=True)
    ]


def _references(response_ids, columns) -> dict[str, Callable[[], set[int]]]:
    """What the answers' foreign keys will point to, by table: every id the rows written
    from ``response_ids`` and ``columns`` hold (computed only if asked)."""
    return {
        "surveys_response": lambda: set(response_ids),
        "surveys_question": lambda: {question for _, question, _ in columns},
        "surveys_choice": lambda: {
            choice
            for kind, _, values in columns
            if kind == CHOICES
            for ticked in set(values)
            if ticked
            for choice in ticked
        },
    }


@contextmanager
def _foreign_keys_checked_once(cursor, wanted: bool, references: dict[str, Callable[[], set[int]]]):
    """While the block runs, the answers' foreign keys (to responses, questions, choices)
    are not checked row by row. At its end they are put back under the same names and
    definitions as NOT VALID (checked for every row written from then on), the rows the
    block wrote are checked in one query per table (``references``: every id they point
    to), and after the commit a task validates the keys (``validate_answer_keys``).

    PostgreSQL checks a foreign key for every row COPY stores, one lookup at a time
    (about 25 s a million answers). Validating a key instead is one pass over the whole
    table, which grows with every import (4.7 s at 6 million answers): the block's own
    rows are checked here, against the ids they hold, and the whole table's validation,
    which takes only a SHARE UPDATE EXCLUSIVE lock (readers and writers go on), runs
    after the commit. A bad reference fails the whole transaction: nothing is stored and
    the keys stay as they were.

    The cost is a lock: dropping a foreign key takes an ACCESS EXCLUSIVE lock on
    ``surveys_answer`` and on the three tables it points to (``surveys_response``,
    ``surveys_question``, ``surveys_choice``), held until the import's transaction ends:
    the storing and checking of the answers, then the scores and the import's record.
    Meanwhile anything that reads or writes responses, questions, choices or answers (a
    submission, a survey's form, the pages that list or count responses) waits. Only for
    large imports (``wanted``); smaller ones keep the row-by-row checks and no such lock.
    """
    # Outside a transaction each statement would commit alone, keys dropped included.
    if not wanted or not connection.in_atomic_block:
        with _checked_as_stored(cursor):
            yield
        return
    # Pending checks of rows written earlier in the transaction run now: PostgreSQL
    # refuses to alter a table with checks still queued.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # Dropping the keys would take these locks one table at a time; taken together, in the
    # order a submission uses the tables (its questions, then its response, then its
    # answers), a submission under way finishes first instead of deadlocking with this.
    # Waiting for the lock behind a long reader would queue every submission and page
    # behind this import too: wait a few seconds at most, then store with the row-by-row
    # checks instead (slower, but it blocks nobody).
    if not _lock_tables_for_import(cursor):
        with _checked_as_stored(cursor):
            yield
        return
    keys = _answer_keys(cursor)
    quote = connection.ops.quote_name
    for name, _, _ in keys:
        cursor.execute(f"ALTER TABLE surveys_answer DROP CONSTRAINT {quote(name)}")
    yield
    for name, definition, _ in keys:
        cursor.execute(f"ALTER TABLE surveys_answer ADD CONSTRAINT {quote(name)} {definition} NOT VALID")
    # No one else wrote answers meanwhile (the lock), so the rows to check are the block's.
    for table in sorted({table for _, _, table in keys}):
        wanted_ids = sorted(references[table]())
        cursor.execute(f"SELECT count(*) FROM {quote(table)} WHERE id = ANY(%s)", [wanted_ids])  # noqa: S608
        if cursor.fetchone()[0] != len(wanted_ids):
            raise IntegrityError(f"An answer points at a row of {table} that does not exist.")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    # robust: the import is committed whatever happens to the asking (it is logged).
    transaction.on_commit(_validate_after_commit, robust=True)


def _answer_keys(cursor, *, unvalidated: bool = False) -> list[tuple[str, str, str]]:
    """The answers' foreign keys to ``ANSWER_REFERENCES``: name, definition and table
    (with ``unvalidated``, only those not yet validated)."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid), confrelid::regclass::text FROM pg_constraint "
        "WHERE conrelid = 'surveys_answer'::regclass AND contype = 'f' "
        "AND confrelid = ANY(%s::regclass[]) AND (NOT %s OR NOT convalidated) ORDER BY conname",
        [list(ANSWER_REFERENCES), unvalidated],
    )
    # An unvalidated key's definition ends in NOT VALID: the key itself, without it.
    return [
        (name, definition.removesuffix(" NOT VALID"), table) for name, definition, table in cursor.fetchall()
    ]


def _validate_after_commit() -> None:
    from surveys.tasks import validate_answer_keys  # the task module imports the services

    validate_answer_keys.enqueue()


def validate_answer_keys() -> int:
    """Validate the answers' foreign keys a large import put back as NOT VALID, each in a
    transaction of its own (PostgreSQL; a SHARE UPDATE EXCLUSIVE lock: reads and writes
    go on meanwhile). Returns how many were validated."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        keys = _answer_keys(cursor, unvalidated=True)
    for name, _, _ in keys:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE surveys_answer VALIDATE CONSTRAINT {connection.ops.quote_name(name)}"
            )
    return len(keys)


# How long a large import waits for its table locks before it stores the answers with
# the row-by-row checks instead.
LOCK_WAIT_SECONDS = 5


def _lock_tables_for_import(cursor) -> bool:
    """Take the import's ACCESS EXCLUSIVE locks, waiting ``LOCK_WAIT_SECONDS`` at most;
    whether they were taken (a savepoint undoes the failed attempt)."""
    from django.db import OperationalError

    try:
        with transaction.atomic():
            cursor.execute(f"SET LOCAL lock_timeout = '{int(LOCK_WAIT_SECONDS * 1000)}ms'")
            cursor.execute(f"LOCK TABLE {', '.join(LOCK_ORDER)} IN ACCESS EXCLUSIVE MODE")
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        return False
    cursor.execute("SET LOCAL lock_timeout = DEFAULT")
    return True


@contextmanager
def _checked_as_stored(cursor):
    # Check the foreign keys row by row now rather than queue the checks for the commit,
    # which PostgreSQL does far more slowly.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def insert_response(
    *,
    wave_id: int,
    respondent_key: str,
    department_id: int | None,
    department_self_reported: bool,
    submitted,
    source: str,
    invitation_id: int | None,
) -> int:
    """One ``surveys_response`` row by a plain INSERT ... RETURNING; returns its id. A
    submission's one row without building and compiling the ORM's insert (about 5% of
    a submission's CPU)."""
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "surveys_response" ("wave_id", "respondent_key", "department_id", '
            '"department_self_reported", "submitted", "source", "invitation_id") '
            'VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING "id"',
            [
                wave_id,
                respondent_key,
                department_id,
                department_self_reported,
                connection.ops.adapt_datetimefield_value(submitted),
                source,
                invitation_id,
            ],
        )
        return cursor.fetchone()[0]


def insert_response_answers(rows: list[tuple], *, marked: set[int] | frozenset = frozenset()) -> None:
    """Insert one response's answers, (response id, question id, number or None, choice id
    or None, text) rows, as one multi-row INSERT: a submission's few dozen rows without
    building a model object, or compiling an ORM query, for each. ``marked``: questions
    known to be ``answered`` already (most submissions: no statement to say so)."""
    if not rows:
        return
    mark_answered({row[1] for row in rows} - set(marked))
    if connection.vendor == "postgresql":
        # Five arrays, one statement whatever the number of rows: psycopg keeps the
        # statement's parsed form, where a VALUES list of 125 placeholders was parsed anew
        # for every submission (about 5% of a submission's CPU).
        responses, questions, numbers, choices, texts = (list(column) for column in zip(*rows, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                'INSERT INTO "surveys_answer" ("response_id", "question_id", "number", "choice_id", "text") '
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::float8[], %s::bigint[], %s::text[])",
                [responses, questions, numbers, choices, texts],
            )
        return
    values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "surveys_answer" ("response_id", "question_id", "number", "choice_id", "text") '  # noqa: S608
            f"VALUES {values}",
            [value for row in rows for value in row],
        )


def encode_scores(scores: dict[int, dict[str, float]]) -> list[tuple[int, str]]:
    """Each response's scores as the JSON text ``surveys_respondentscore`` stores: the
    encoding, apart from storing, so that an import does it while the database is still
    busy storing its answers."""
    dumps = json.dumps
    return [(response_id, dumps(measured)) for response_id, measured in scores.items()]


def insert_respondent_scores(
    rules: str, scores: dict[int, dict[str, float]] | list[tuple[int, str]], *, replace: bool = False
) -> None:
    """Insert one ``surveys_respondentscore`` row per response: its scores under ``rules``
    (a dict, or already encoded by ``encode_scores``). With ``replace``, rows already there
    are overwritten (an upsert, so two readers rescoring the same responses at once both
    succeed); without, COPY on PostgreSQL for more than a few rows (a submission's one row
    is cheaper as a plain INSERT)."""
    if not scores:
        return
    rows = encode_scores(scores) if isinstance(scores, dict) else scores
    if connection.vendor == "postgresql" and not replace and len(rows) >= COPY_FROM_ROWS:
        statement = "COPY surveys_respondentscore (response_id, rules, scores) FROM STDIN"
        with connection.cursor() as cursor, connection.wrap_database_errors:
            # Queued: the next rows are written out while the server reads the last ones.
            with cursor.cursor.copy(statement, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
                for start in range(0, len(rows), ROWS_PER_BATCH):
                    copy.write(
                        "".join(
                            f"{response_id}\t{rules}\t{_copy_text(text)}\n"
                            for response_id, text in rows[start : start + ROWS_PER_BATCH]
                        )
                    )
        return
    upsert = (
        " ON CONFLICT (response_id) DO UPDATE SET rules = excluded.rules, scores = excluded.scores"
        if replace
        else ""
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO surveys_respondentscore (response_id, rules, scores) VALUES (%s, %s, %s){upsert}",  # noqa: S608
            [(response_id, rules, text) for response_id, text in rows],
        )

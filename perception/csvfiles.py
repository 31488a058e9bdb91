"""Reading small CSV files that people upload (codebooks, service metrics)."""

import csv
import io


class CsvProblem(ValueError):
    """The file cannot be read; the message says why, naming the row where there is one."""


def _join(names: list[str]) -> str:
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def read_rows(data: bytes, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: stripped text}) for every data row; column names are matched
    without regard to case. Refuses files that are not UTF-8, lack a column, or have a row
    with more cells than the header."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvProblem("The file is not UTF-8 text; save it as CSV UTF-8 and try again.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
    missing = [column for column in columns if column not in header]
    if missing:
        raise CsvProblem(f"The file needs the columns {_join(columns)}; missing: {', '.join(missing)}.")
    rows = []
    for number, raw in enumerate(reader, start=2):
        if None in raw:
            raise CsvProblem(f"Row {number}: more cells than columns.")
        rows.append(
            (number, {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()})
        )
    return rows

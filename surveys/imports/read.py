"""Reading a whole export: bytes to rows, the format's header layout, then the data rows
checked against the header."""

from perception.uploads import Limits
from surveys.imports import limesurvey, qualtrics, single_header, surveymonkey
from surveys.imports.sheets import read_rows
from surveys.imports.table import ImportProblem, Layout, Table

FORMATS = ["google-forms", "microsoft-forms", "limesurvey", "qualtrics", "surveymonkey", "csv"]
# Tried in order: the most specific header shapes first; one plain header row last.
DETECTORS = (qualtrics.detect, single_header.detect_known, limesurvey.detect, surveymonkey.detect)
COMPLETION = {"qualtrics": qualtrics, "limesurvey": limesurvey}


def _layout(rows: list[list[str]]) -> Layout:
    for detect in DETECTORS:
        layout = detect(rows)
        if layout is not None:
            return layout
    return single_header.plain(rows)


def read_export(data: bytes, format: str = "auto", limits: Limits | None = None) -> Table:
    """Read a whole export into a Table (all rows in memory, within the upload limits)."""
    limits = limits or Limits.from_settings()
    if len(data) > limits.bytes:
        megabytes = limits.bytes // (1024 * 1024)
        raise ImportProblem(f"The file is larger than {megabytes} MB; split it by date and import each part.")
    rows, encoding = read_rows(data, limits)
    if not rows:
        raise ImportProblem("The file is empty.")
    layout = _layout(rows)
    # "csv" reads any file as one plain header row; any other named format must match.
    if format not in ("auto", "csv", layout.format):
        raise ImportProblem(
            f"This looks like a {layout.format} export, not {format}; use --format auto or {layout.format}."
        )
    if format == "csv":
        layout = single_header.plain(rows)
    headers, data_rows = _data_rows(rows, layout)
    if layout.format == "surveymonkey":
        headers, data_rows = surveymonkey.combine_option_columns(headers, data_rows)
    headers = _unique([h or f"Column {i + 1}" for i, h in enumerate(headers)])
    if not data_rows:
        raise ImportProblem("The file has headers but no responses.")
    table = Table(layout.format, headers, data_rows, layout.header_rows + 1, encoding=encoding)
    _skip_incomplete(table)
    return table


def _data_rows(rows: list[list[str]], layout: Layout) -> tuple[list[str], list[list[str]]]:
    """The data rows, each as wide as the header; a pandas index column dropped."""
    headers = layout.headers
    drop_first = bool(headers) and headers[0] in ("", "Unnamed: 0")
    width = len(rows[0])
    data_rows = []
    for offset, row in enumerate(rows[layout.header_rows :]):
        number = layout.header_rows + offset + 1
        if len(row) == width + 1 and row[-1] == "":  # a trailing delimiter on every data row
            row = row[:-1]
        if len(row) != width:
            raise ImportProblem(f"Row {number}: {len(row)} fields where the header has {width}.")
        data_rows.append(row[1:] if drop_first else row)
    return (headers[1:] if drop_first else headers), data_rows


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for header in headers:
        seen[header] = seen.get(header, 0) + 1
        unique.append(header if seen[header] == 1 else f"{header} ({seen[header]})")
    return unique


def _skip_incomplete(table: Table) -> None:
    """Qualtrics Finished=0 (or False) and LimeSurvey rows without a submit date."""
    rules = COMPLETION.get(table.format)
    if rules is None:
        return
    column = rules.completion_column([h.lower() for h in table.headers])
    if column is None:
        return
    complete = [row for row in table.rows if rules.is_complete(row[column])]
    table.skipped_incomplete = len(table.rows) - len(complete)
    table.incomplete_column = table.headers[column]
    table.rows = complete

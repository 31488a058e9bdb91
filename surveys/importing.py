"""Reading survey exports from other tools: pure parsing, no database.

``read_export`` turns the bytes of a Google Forms, Microsoft Forms, LimeSurvey,
Qualtrics or SurveyMonkey export (or a plain CSV) into a ``Table``: one header per
column, the data rows, and the detected format. ``propose_mapping`` suggests what each
column is; ``convert`` checks every cell against a mapping and returns the typed rows,
or every problem found with its row and column. Nothing here guesses silently: a label
that cannot be read as a number is a problem to resolve in the mapping, not a value.
"""

import csv
import functools
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime

MAX_BYTES = 50 * 1024 * 1024
PROPOSAL_SAMPLE = 5000
MAX_CELL = 128 * 1024

FORMATS = ["google-forms", "microsoft-forms", "limesurvey", "qualtrics", "surveymonkey", "csv"]
KINDS = [
    "rating_5",
    "rating_7",
    "scale_10",
    "single",
    "multiple",
    "text",
    "department",
    "timestamp",
    "respondent_id",
    "ignore",
]
QUESTION_KINDS = {"rating_5", "rating_7", "scale_10", "single", "multiple", "text"}
SCALES = {"rating_5": (1, 5), "rating_7": (1, 7), "scale_10": (0, 10)}

AGREEMENT = {
    "strongly disagree": 1,
    "disagree": 2,
    "somewhat disagree": 2,
    "neither agree nor disagree": 3,
    "neither agree or disagree": 3,
    "neutral": 3,
    "agree": 4,
    "somewhat agree": 4,
    "strongly agree": 5,
}
# Personal data that is never imported: dropped whatever the mapping says.
PRIVATE = re.compile(
    r"^(ip ?address|ipaddress|location ?latitude|location ?longitude|latitude|longitude|"
    r"recipient ?(last|first) ?name|recipient ?email|recipientemail|recipientfirstname|recipientlastname|"
    r"email|email address|e-mail|name|full name|first name|last name|ipaddr)$",
    re.IGNORECASE,
)
FORMULA = re.compile(r"^(=|[+\-@]\s*[A-Za-z_]+\s*\()")


class ImportProblem(ValueError):
    """The file cannot be imported; the message says where and why. Nothing was stored."""


@dataclass
class Table:
    format: str
    headers: list[str]
    rows: list[list[str]]
    first_data_row: int  # the file's row number of rows[0], for messages
    skipped_incomplete: int = 0
    incomplete_column: str | None = None


def _decode(data: bytes) -> str:
    if not data.strip():
        raise ImportProblem("The file is empty.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    elif data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="strict")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:20000] if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in text or controls > 10:
        raise ImportProblem("This does not look like a text export (it contains binary data).")
    return text


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def _read_csv(text: str) -> list[list[str]]:
    delimiter = _delimiter(text)
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as error:
        line = reader.line_num
        if "field larger than field limit" in str(error):
            raise ImportProblem(f"Row {line}: a cell is larger than {MAX_CELL // 1024} KB.") from None
        raise ImportProblem(f"Row {line}: the file cannot be read as CSV ({error}).") from None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    return rows


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportProblem(f"The Excel file cannot be read ({error}).") from None
    rows = []
    for values in sheet.iter_rows(values_only=True):
        rows.append(
            [
                "" if v is None else (v.isoformat(sep=" ") if isinstance(v, datetime) else str(v))
                for v in values
            ]
        )
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    return rows


def _clean(cell: str) -> str:
    return cell.replace("\ufeff", "").strip()


QUALTRICS_METADATA = {
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "ExternalReference",
    "DistributionChannel",
    "UserLanguage",
}


def _detect(rows: list[list[str]]) -> tuple[str, int, list[str]]:
    """(format, number of header rows, headers)."""
    first = [_clean(c) for c in rows[0]]
    lowered = [c.lower() for c in first]
    second = [_clean(c) for c in rows[1]] if len(rows) > 1 else []
    third = [_clean(c) for c in rows[2]] if len(rows) > 2 else []
    if third and third[0].startswith('{"ImportId'):
        # Qualtrics: export tags, question texts (labels in the account's language), ImportId JSON.
        # Metadata keeps its export tag (StartDate, Finished, IPAddress…); questions get their text.
        return (
            "qualtrics",
            3,
            [
                first[i]
                if first[i] in QUALTRICS_METADATA or first[i].startswith(("Recipient", "Location"))
                else second[i] or first[i]
                for i in range(len(first))
            ],
        )
    if first[:2] == ["V1", "V2"] and second and second[0] == "ResponseID":
        return "qualtrics", 2, [second[i] or first[i] for i in range(len(first))]
    if lowered[:5] == ["id", "start time", "completion time", "email", "name"]:
        return "microsoft-forms", 1, first
    if lowered and lowered[0] == "timestamp":
        return "google-forms", 1, first
    if {"submitdate", "lastpage", "startlanguage"} & set(lowered) or any(
        re.match(r"^\w+\[\w+\]", c) for c in first
    ):
        return "limesurvey", 1, first
    if (
        ("respondent id" in lowered or any(c.startswith("Unnamed: ") for c in first))
        and second
        and ("Response" in second or "0" == second[0])
    ):
        # SurveyMonkey: a question's text only above its first column; sub-labels below.
        headers, current = [], ""
        for top, sub in zip(first, second + [""] * (len(first) - len(second)), strict=False):
            if top and not top.startswith("Unnamed: "):
                current = top
            headers.append(
                current if sub in ("", "Response", "Open-Ended Response", "0") else f"{current} | {sub}"
            )
        return "surveymonkey", 2, headers
    return "csv", 1, first


def read_export(data: bytes, format: str = "auto") -> Table:
    """Read a whole export into a Table (all rows in memory; the size limit keeps that sane)."""
    if len(data) > MAX_BYTES:
        raise ImportProblem(
            f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it by date and import each part."
        )
    rows = _read_xlsx(data) if data[:4] == b"PK\x03\x04" else _read_csv(_decode(data))
    if not rows:
        raise ImportProblem("The file is empty.")
    detected, header_rows, headers = _detect(rows)
    # "csv" reads any file as one plain header row; any other named format must match.
    if format not in ("auto", "csv", detected):
        raise ImportProblem(
            f"This looks like a {detected} export, not {format}; use --format auto or {detected}."
        )
    if format == "csv":
        detected, header_rows, headers = "csv", 1, [_clean(c) for c in rows[0]]
    # A pandas-written file starts with an unnamed index column: drop it.
    drop_first = headers and headers[0] in ("", "Unnamed: 0")
    width = len(rows[0])
    data_rows = []
    for offset, row in enumerate(rows[header_rows:]):
        number = header_rows + offset + 1
        if len(row) == width + 1 and row[-1] == "":  # a trailing delimiter on every data row
            row = row[:-1]
        if len(row) != width:
            raise ImportProblem(f"Row {number}: {len(row)} fields where the header has {width}.")
        data_rows.append(row[1:] if drop_first else row)
    headers = headers[1:] if drop_first else headers
    if detected == "surveymonkey":
        headers, data_rows = _combine_option_columns(headers, data_rows)
    headers = _unique([h or f"Column {i + 1}" for i, h in enumerate(headers)])
    if not data_rows:
        raise ImportProblem("The file has headers but no responses.")
    table = Table(detected, headers, data_rows, header_rows + 1)
    _skip_incomplete(table)
    return table


def _combine_option_columns(headers: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """SurveyMonkey gives a multiple-choice question one column per option ("Question |
    Option", holding the option's label when ticked): fold them into one column whose
    cells join the ticked options with ";"."""
    groups: list[tuple[str, list[int]]] = []
    for index, header in enumerate(headers):
        question = header.split(" | ", 1)[0] if " | " in header else None
        if question and groups and groups[-1][0] == question:
            groups[-1][1].append(index)
        else:
            groups.append((question or header, [index]))
    combined_headers = [name for name, _ in groups]
    combined_rows = [
        [
            row[columns[0]]
            if len(columns) == 1 and " | " not in headers[columns[0]]
            else ";".join(row[i].strip() for i in columns if row[i].strip())
            for _, columns in groups
        ]
        for row in rows
    ]
    return combined_headers, combined_rows


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for header in headers:
        seen[header] = seen.get(header, 0) + 1
        unique.append(header if seen[header] == 1 else f"{header} ({seen[header]})")
    return unique


def _skip_incomplete(table: Table) -> None:
    """Qualtrics Finished=0 (or False) and LimeSurvey rows without a submit date."""
    lowered = [h.lower() for h in table.headers]
    column = None
    if table.format == "qualtrics":
        column = next((i for i, h in enumerate(lowered) if h in ("finished", "abgeschlossen")), None)
        keep = lambda value: value.strip().lower() not in ("0", "false", "falsch")  # noqa: E731
    elif table.format == "limesurvey":
        column = next(
            (i for i, h in enumerate(lowered) if h.startswith("submitdate") or h == "date submitted"), None
        )
        keep = lambda value: bool(value.strip())  # noqa: E731
    if column is None:
        return
    complete = [row for row in table.rows if keep(row[column])]
    table.skipped_incomplete = len(table.rows) - len(complete)
    table.incomplete_column = table.headers[column]
    table.rows = complete


# -- Reading values ------------------------------------------------------------------------

NUMBER = re.compile(r"^(-?\d+(?:\.0+)?)(?:\s*(?:-|–|\(|:)\s*.*)?$")


@functools.lru_cache(maxsize=4096)
def label_number(value: str) -> int | None:
    """The number a scale answer stands for: "4", "4.0", "5 - Strongly agree",
    "10 (Extremely likely)", "Strongly agree"; None when it cannot be read."""
    value = _clean(value)
    if not value:
        return None
    match = NUMBER.match(value)
    if match:
        return int(float(match.group(1)))
    return AGREEMENT.get(value.lower())


MISSING = {"na", "n/a", "-99", "nan"}


def is_missing(value: str) -> bool:
    cleaned = _clean(value).lower()
    return not cleaned or cleaned in MISSING


def _separator(values: list[str]) -> str:
    """Ticked options are joined by ";" (Microsoft Forms, many tools) or ", " (Google Forms)."""
    return ";" if any(";" in v for v in values) else ","


def propose_mapping(table: Table) -> dict[str, str]:
    """A kind for every column, from its header and its values. Personal data is ignored."""
    mapping = {}
    for index, header in enumerate(table.headers):
        lowered = header.lower().strip()
        # A sample is enough to propose a kind; every cell is checked when converting.
        values = [_clean(row[index]) for row in table.rows[:PROPOSAL_SAMPLE] if not is_missing(row[index])]
        mapping[header] = _kind_for(lowered, values)
    return mapping


META_TIMESTAMP = {
    "timestamp",
    "completion time",
    "submitdate",
    "date submitted",
    "enddate",
    "end date",
    "recordeddate",
}
META_ID = {"id", "respondent id", "responseid", "response id", "respondentid"}
META_IGNORE = {
    "start time",
    "startdate",
    "start date",
    "status",
    "progress",
    "duration (in seconds)",
    "finished",
    "distributionchannel",
    "userlanguage",
    "externalreference",
    "lastpage",
    "startlanguage",
    "seed",
    "collector id",
    "language",
    "qtime",
}


def _kind_for(header: str, values: list[str]) -> str:
    if PRIVATE.match(header):
        return "ignore"
    if header in META_TIMESTAMP or header.startswith("submitdate"):
        return "timestamp"
    if header in META_ID:
        return "respondent_id"
    if header in META_IGNORE or header.startswith(("location", "recipient", "ip")):
        return "ignore"
    if "department" in header or header in ("dept", "team", "division"):
        return "department"
    if not values:
        return "ignore"
    numbers = [label_number(v) for v in values]
    if all(n is not None for n in numbers):
        low, high = min(numbers), max(numbers)
        if 0 <= low and high <= 10 and (low == 0 or high > 7):
            return "scale_10"
        if 1 <= low and high <= 5:
            return "rating_5"
        if 1 <= low and high <= 7:
            return "rating_7"
    distinct = set(values)
    separator = _separator(values)
    joined = [v for v in values if separator in v]
    if len(joined) >= max(2, len(values) // 10):
        parts = {p.strip() for v in values for p in v.split(separator) if p.strip()}
        # ";" joins ticked options (it is rare inside a label); with "," ask for more: a few
        # options combined in many ways, so fewer distinct options than distinct answers.
        if len(parts) <= 40 and (separator == ";" or len(parts) < len(distinct)):
            return "multiple"
    if len(values) >= 5 and len(distinct) <= 12 and len(distinct) <= max(2, len(values) // 3):
        return "single"
    return "text"


@dataclass
class Converted:
    """Typed rows ready to store, and what was found on the way."""

    rows: list[dict]  # {"timestamp", "respondent", "department", "answers": {header: value}}
    problems: list[str] = field(default_factory=list)
    unknown_labels: dict[str, set[str]] = field(default_factory=dict)


# Month first, as Google and Microsoft Forms write them in US-English accounts; ISO first of all.
TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%d.%m.%Y %H:%M",
)


def _parse_timestamp(value: str, preferred: list[str] | None = None) -> datetime | None:
    """Read a timestamp; ``preferred`` remembers the format that worked last time."""
    value = _clean(value)
    if not value:
        return None
    for pattern in [*(preferred or []), *TIMESTAMP_FORMATS]:
        try:
            parsed = datetime.strptime(value, pattern)
        except ValueError:
            continue
        if preferred is not None and preferred[:1] != [pattern]:
            preferred[:] = [pattern]
        return parsed
    return None


SKIP, VALUE, PROBLEM, UNKNOWN = range(4)
# Kinds whose cells repeat (a handful of labels): each distinct cell is read once.
REPEATING = {"rating_5", "rating_7", "scale_10", "single", "multiple", "department"}


def _read_cell(kind: str, value: str, known: dict[str, int], separator: str, timestamps: list[str]) -> tuple:
    """One cell as (status, payload): skipped, a value, a problem message, or an unknown label."""
    value = value.strip()
    if "\ufeff" in value:
        value = _clean(value)
    if not value or value.lower() in MISSING:
        return SKIP, None
    if value[0] in "=+-@" and FORMULA.match(value):
        return PROBLEM, "a cell that looks like a spreadsheet formula."
    if kind == "timestamp":
        parsed = _parse_timestamp(value, timestamps)
        return (VALUE, parsed) if parsed else (PROBLEM, f"'{value[:40]}' is not a date and time.")
    if kind == "respondent_id":
        return VALUE, value[:200]
    if kind == "department":
        return VALUE, value[:120]
    if kind in SCALES:
        low, high = SCALES[kind]
        found = known.get(value)
        found = found if found is not None else label_number(value)
        if found is None:
            return UNKNOWN, value
        if not low <= found <= high:
            return PROBLEM, f"{found} is outside {low}–{high}."
        return VALUE, found
    if kind == "multiple":
        return VALUE, [part.strip() for part in value.split(separator) if part.strip()]
    if len(value) > 5000:
        return PROBLEM, "longer than 5,000 characters."
    return VALUE, value if kind == "text" else value[:200]


SLOTS = {"timestamp": "timestamp", "respondent_id": "respondent", "department": "department"}


def convert(
    table: Table, mapping: dict[str, str], labels: dict[str, dict[str, int]] | None = None
) -> Converted:
    """Check every cell against the mapping; collect every problem with row and column.

    ``labels`` gives numbers for scale labels the reader did not know, per column.
    """
    labels = labels or {}
    result = Converted(rows=[])
    active = [
        (index, header, mapping.get(header, "ignore"))
        for index, header in enumerate(table.headers)
        if mapping.get(header, "ignore") != "ignore" and not PRIVATE.match(header)
    ]
    timestamps: list[str] = []
    separators = {
        h: _separator([row[i] for row in table.rows]) for i, h, kind in active if kind == "multiple"
    }
    memo = {header: {} for _, header, kind in active if kind in REPEATING}
    for offset, row in enumerate(table.rows):
        converted = {"timestamp": None, "respondent": None, "department": None, "answers": {}}
        for index, header, kind in active:
            raw = row[index]
            cache = memo.get(header)
            outcome = cache.get(raw) if cache is not None else None
            if outcome is None:
                outcome = _read_cell(
                    kind, raw, labels.get(header, {}), separators.get(header, ","), timestamps
                )
                if cache is not None:
                    cache[raw] = outcome
            status, payload = outcome
            if status == VALUE:
                if kind in SLOTS:
                    converted[SLOTS[kind]] = payload
                else:
                    converted["answers"][header] = payload
            elif status == PROBLEM:
                result.problems.append(f"Row {table.first_data_row + offset}, column '{header}': {payload}")
            elif status == UNKNOWN:
                result.unknown_labels.setdefault(header, set()).add(payload)
        result.rows.append(converted)
    for header, unknown in sorted(result.unknown_labels.items()):
        shown = ", ".join(f"'{v}'" for v in sorted(unknown)[:5])
        result.problems.append(
            f"Column '{header}': labels with no number yet: {shown}; give each a number in the mapping."
        )
    return result

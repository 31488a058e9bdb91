"""The mapping: what each column of a table holds, and its cells as typed values.

``propose_mapping`` suggests a kind for every column from its header and values;
``convert`` checks every cell against a mapping and returns the typed rows, or every
problem found with its row and column. Nothing here guesses silently: a label that cannot
be read as a number is a problem to resolve in the mapping, not a value.
"""

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime

from surveys.imports.table import Table, clean

PROPOSAL_SAMPLE = 5000

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


# -- Reading values ------------------------------------------------------------------------

NUMBER = re.compile(r"^(-?\d+(?:\.0+)?)(?:\s*(?:-|–|\(|:)\s*.*)?$")


@functools.lru_cache(maxsize=4096)
def label_number(value: str) -> int | None:
    """The number a scale answer stands for: "4", "4.0", "5 - Strongly agree",
    "10 (Extremely likely)", "Strongly agree"; None when it cannot be read."""
    value = clean(value)
    if not value:
        return None
    match = NUMBER.match(value)
    if match:
        return int(float(match.group(1)))
    return AGREEMENT.get(value.lower())


MISSING = {"na", "n/a", "-99", "nan"}


def is_missing(value: str) -> bool:
    cleaned = clean(value).lower()
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
        values = [clean(row[index]) for row in table.rows[:PROPOSAL_SAMPLE] if not is_missing(row[index])]
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
    value = clean(value)
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
        value = clean(value)
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

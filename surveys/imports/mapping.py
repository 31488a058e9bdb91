"""The mapping: what each column of a table holds, and its cells as typed values.

``propose_mapping`` suggests a kind for every column from its header and values, and
``propose_scales`` a scale for every rating column (``surveys.imports.scales``);
``convert`` checks every cell against a mapping and the *confirmed* scales and returns
the typed rows, or every problem found with its row and column. Nothing here guesses
silently: a rating column without a confirmed scale, a value outside its scale, or a
label that cannot be read as a point is a problem to resolve, not a value.
"""

import functools
import re
from dataclasses import dataclass, field
from datetime import datetime

from surveys.imports.scales import DONT_KNOW, Scale, normalised, propose_scale
from surveys.imports.table import Table, clean

PROPOSAL_SAMPLE = 5000

KINDS = [
    "rating",
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
QUESTION_KINDS = {"rating", "rating_5", "rating_7", "scale_10", "single", "multiple", "text"}
# Kinds that name their scale's ends themselves (older mapping files): a declaration too.
SCALES = {"rating_5": (1, 5), "rating_7": (1, 7), "scale_10": (0, 10)}
KIND_WORDS = {
    "rating": "Rating on a scale",
    "rating_5": "Rating 1–5",
    "rating_7": "Rating 1–7",
    "scale_10": "Scale 0–10",
    "single": "One choice among options",
    "multiple": "Several choices among options",
    "text": "Comment (free text)",
    "department": "The respondent's department",
    "timestamp": "When it was answered",
    "respondent_id": "Respondent number (kept only as a coded key)",
    "ignore": "Not imported",
}

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
# Columns that name, contact or locate people: not imported unless the manager keeps one
# by an explicit choice, which the import record remembers.
PEOPLE = r"(instructors?|teachers?|lecturers?|professors?|tutors?|agents?|technicians?|assignees?)"
PRIVATE = re.compile(
    r"^(ip ?address|ipaddress|ipaddr|ip|ip-adresse|location ?(latitude|longitude|accuracy)|"
    r"latitude|longitude|"
    r"recipient ?(last|first) ?name|recipient ?email|recipientemail|recipientfirstname|recipientlastname|"
    r"e-?mail( ?address)?|emailaddress|(full |first |last |your |respondent )?name|nombre|nom|"
    r"phone( ?number)?|telephone|mobile|tel[eé]fono|telefon|postcode|zip( ?code)?|location|geolocation|"
    rf"{PEOPLE})$"
    rf"|\bnames? of (the |your )?(course |class )?{PEOPLE}\b"
    rf"|\b{PEOPLE}'?s? (full |first |last )?names?\b"
    r"|\b(e-?mail address|phone number|ip address)\b",
    re.IGNORECASE,
)


def is_personal(header: str) -> bool:
    """A column that names, contacts or locates a person (dropped by default)."""
    return bool(PRIVATE.search(header.strip()))


FORMULA = re.compile(r"^(=|[+\-@]\s*[A-Za-z_]+\s*\()")


# -- Reading values ------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def label_number(value: str) -> int | None:
    """The number a scale answer stands for: "4", "4.0", "5 - Strongly agree",
    "10 (Extremely likely)", "Strongly agree"; None when it cannot be read ("0-6 months")."""
    from surveys.imports.scales import label_number as number

    value = clean(value)
    if not value:
        return None
    found = number(value)
    return found if found is not None else AGREEMENT.get(value.lower())


MISSING = {"na", "n/a", "-99", "nan"}


def is_missing(value: str) -> bool:
    cleaned = clean(value).lower()
    return not cleaned or cleaned in MISSING


def _separator(values: list[str]) -> str:
    """Ticked options are joined by ";" (Microsoft Forms, many tools) or ", " (Google Forms)."""
    return ";" if any(";" in v for v in values) else ","


def _sample(table: Table, index: int) -> list[str]:
    # A sample is enough to propose; every cell is checked when converting.
    cells = [row[index] for row in table.rows[:PROPOSAL_SAMPLE]]
    # Cells repeat (a handful of labels): each distinct one is cleaned once.
    kept = {cell: clean(cell) for cell in dict.fromkeys(cells) if not is_missing(cell)}
    return [kept[cell] for cell in cells if cell in kept]


def propose_mapping(table: Table) -> dict[str, str]:
    """A kind for every column, from its header and its values. Personal data is ignored."""
    return {
        header: _kind_for(header.lower().strip(), _sample(table, index))
        for index, header in enumerate(table.headers)
    }


def propose_scales(table: Table, mapping: dict[str, str]) -> dict[str, Scale]:
    """A proposed scale for every column mapped as a rating: to be shown and confirmed."""
    proposals = {}
    for index, header in enumerate(table.headers):
        if mapping.get(header) == "rating":
            scale = propose_scale(header, set(_sample(table, index)))
            if scale is not None:
                proposals[header] = scale
    return proposals


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
    "responseset",
    "externaldatareference",
    "locationaccuracy",
}


def _kind_for(header: str, values: list[str]) -> str:
    if is_personal(header):
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
    distinct = set(values)
    scale = propose_scale(header, distinct)
    # Bare codes with few distinct values ("2" of a Qualtrics choice) stay choices: a
    # code is a code, not a score, unless the manager declares it a rating.
    labelled = any(label_number(v) is None or not v.lstrip("-").isdigit() for v in distinct)
    if scale is not None and (labelled or (len(values) >= 5 and len(distinct) >= 3)):
        return "rating"
    if all(v.lstrip("-").isdigit() for v in distinct) and len(distinct) <= 12:
        return "single"
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
    """Typed cells ready to store, column by column, and what was found on the way.

    Every list holds one entry per data row of the table, in its order; None where the
    cell was empty, missing or "don't know". Held by column rather than by row: a large
    export has millions of cells, and each column is read, checked and stored as one list.
    """

    count: int = 0  # rows
    timestamps: list = field(default_factory=list)  # datetime or None
    respondents: list = field(default_factory=list)  # str or None
    departments: list = field(default_factory=list)  # str or None
    answers: dict[str, list] = field(default_factory=dict)  # header: number, label(s) or text
    problems: list[str] = field(default_factory=list)
    unknown_labels: dict[str, set[str]] = field(default_factory=dict)
    kept_personal: list[str] = field(default_factory=list)

    def first_rows(self, count: int) -> list[dict]:
        """The first rows as {"timestamp", "respondent", "department", "answers": {header:
        value}}, answers left out where there is none: for showing, not for storing."""
        return [
            {
                "timestamp": self.timestamps[index],
                "respondent": self.respondents[index],
                "department": self.departments[index],
                "answers": {h: v[index] for h, v in self.answers.items() if v[index] is not None},
            }
            for index in range(min(count, self.count))
        ]


# ISO-8601 first (any form ``datetime.fromisoformat`` reads: LimeSurvey, Qualtrics, RStudio's
# "2020-12-11T09:07:17Z"); then month first, as Google Forms, Microsoft Forms and
# SurveyMonkey write them in US-English accounts (SurveyMonkey with AM/PM); German dates.
TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%m/%d/%y %I:%M:%S %p",
    "%m/%d/%y %I:%M %p",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%m/%d/%Y",
)
ZONE_SUFFIX = re.compile(r"\s+(GMT|UTC)([+-]\d{1,2}(:?\d{2})?)?$")


def _parse_timestamp(value: str, preferred: list[str] | None = None) -> datetime | None:
    """Read a timestamp; ``preferred`` remembers the format that worked last time."""
    value = ZONE_SUFFIX.sub("", clean(value))
    if not value:
        return None
    if value[:4].isdigit() and value[4:5] == "-":
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
    for pattern in [*(preferred or []), *TIMESTAMP_FORMATS]:
        parsed = _read_with(value, pattern)
        if parsed is None:
            continue
        if preferred is not None and preferred[:1] != [pattern]:
            preferred[:] = [pattern]
        return parsed
    return None


def _read_with(value: str, pattern: str) -> datetime | None:
    """``datetime.strptime``, or None. A date and a time are read apart, each remembered:
    an export's dates repeat, and so do its times of day, so most of a column's cells
    need no parsing. Every pattern's date part has no space and its fields are delimited,
    so when both halves read, the whole reads the same; otherwise the whole is tried."""
    date_pattern, _, time_pattern = pattern.partition(" ")
    if time_pattern:
        date_text, _, time_text = value.partition(" ")
        day, time = _strptime(date_text, date_pattern), _strptime(time_text, time_pattern)
        if day is not None and time is not None:
            return datetime.combine(day.date(), time.time())
    try:
        return datetime.strptime(value, pattern)
    except ValueError:
        return None


@functools.lru_cache(maxsize=65_536)
def _strptime(text: str, pattern: str) -> datetime | None:
    try:
        return datetime.strptime(text, pattern)
    except ValueError:
        return None


SKIP, VALUE, PROBLEM, UNKNOWN = range(4)
# Kinds whose cells repeat (a handful of labels): each distinct cell is read once.
REPEATING = {"rating", "rating_5", "rating_7", "scale_10", "single", "multiple", "department"}


def _read_cell(
    kind: str, value: str, known: dict[str, int], separator: str, timestamps: list[str], scale: Scale | None
) -> tuple:
    """One cell as (status, payload): skipped, a value, a problem message, or an unknown label."""
    value = value.strip()
    if "\ufeff" in value:
        value = clean(value)
    if not value or value.lower() in MISSING:
        return SKIP, None
    if kind == "rating" or kind in SCALES:
        if (scale and scale.is_dont_know(value)) or normalised(value) in DONT_KNOW:
            return SKIP, None  # "don't know / not applicable" is no answer, not a point
    if value[0] in "=+-@" and FORMULA.match(value):
        return PROBLEM, "a cell that looks like a spreadsheet formula."
    if kind == "timestamp":
        parsed = _parse_timestamp(value, timestamps)
        return (VALUE, parsed) if parsed else (PROBLEM, f"'{value[:40]}' is not a date and time.")
    if kind == "respondent_id":
        return VALUE, value[:200]
    if kind == "department":
        return VALUE, value[:120]
    if kind == "rating":
        found = known.get(value)
        found = found if found is not None else scale.point_of(value)
        if found is None:
            return UNKNOWN, value
        if not scale.low <= found <= scale.high:
            return PROBLEM, f"{found} is outside the declared scale {scale.low}–{scale.high}."
        return VALUE, found
    if kind in SCALES:
        low, high = SCALES[kind]
        found = known.get(value)
        found = found if found is not None else label_number(value)
        if found is None:
            return UNKNOWN, value
        if not low <= found <= high:
            return PROBLEM, f"{found} is outside the declared scale {low}–{high}."
        return VALUE, found
    if kind == "multiple":
        return VALUE, [part.strip() for part in value.split(separator) if part.strip()]
    if len(value) > 5000:
        return PROBLEM, "longer than 5,000 characters."
    return VALUE, value if kind == "text" else value[:200]


def convert(
    table: Table,
    mapping: dict[str, str],
    labels: dict[str, dict[str, int]] | None = None,
    scales: dict[str, Scale] | None = None,
    keep_personal: list[str] | tuple = (),
) -> Converted:
    """Check every cell against the mapping; collect every problem with row and column.

    ``labels`` gives numbers for scale labels the reader did not know, per column;
    ``scales`` the confirmed scale of every "rating" column (one without is a problem:
    nothing is stored under a guessed scale). Personal-data columns are dropped unless
    named in ``keep_personal`` (an explicit choice).
    """
    labels, scales = labels or {}, scales or {}
    count = len(table.rows)
    result = Converted(count=count)
    active = [
        (index, header, mapping.get(header, "ignore"))
        for index, header in enumerate(table.headers)
        if mapping.get(header, "ignore") != "ignore" and (not is_personal(header) or header in keep_personal)
    ]
    result.kept_personal = [h for _, h, _ in active if is_personal(h)]
    unconfirmed = [h for _, h, kind in active if kind == "rating" and h not in scales]
    for header in unconfirmed:
        result.problems.append(f"Column '{header}': confirm its scale (lowest and highest point) first.")
    active = [(i, h, kind) for i, h, kind in active if h not in unconfirmed]
    timestamps: list[str] = []
    found: list[tuple[int, int, str]] = []  # (row offset, column position, message)
    slots = {"timestamp": "timestamps", "respondent_id": "respondents", "department": "departments"}
    by_column = list(zip(*table.rows, strict=True)) if table.rows else []
    for position, (index, header, kind) in enumerate(active):
        cells = by_column[index]
        separator = _separator(cells) if kind == "multiple" else ","
        read = functools.partial(
            _read_cell, kind, known=labels.get(header, {}), separator=separator, scale=scales.get(header)
        )
        if kind in REPEATING:
            # A handful of distinct cells (labels, numbers, departments): each read once.
            distinct = {raw: read(raw, timestamps=timestamps) for raw in dict.fromkeys(cells)}
            value_of = {
                raw: payload if status == VALUE else None for raw, (status, payload) in distinct.items()
            }
            values = list(map(value_of.__getitem__, cells))
            if all(status in (VALUE, SKIP) for status, _ in distinct.values()):
                outcomes = ()
            else:
                outcomes = [distinct[raw] for raw in cells]
        else:
            outcomes = [read(raw, timestamps=timestamps) for raw in cells]
            values = [payload if status == VALUE else None for status, payload in outcomes]
        for offset, (status, payload) in enumerate(outcomes):
            if status == PROBLEM:
                message = f"Row {table.first_data_row + offset}, column '{header}': {payload}"
                found.append((offset, position, message))
            elif status == UNKNOWN:
                result.unknown_labels.setdefault(header, set()).add(payload)
        if kind in slots:
            # Two columns of one kind: a row's value from the later one when it has one.
            earlier = getattr(result, slots[kind]) or [None] * count
            setattr(
                result,
                slots[kind],
                [new if new is not None else old for old, new in zip(earlier, values, strict=True)],
            )
        else:
            result.answers[header] = values
    for slot in slots.values():
        if not getattr(result, slot):
            setattr(result, slot, [None] * count)
    result.problems.extend(message for _, _, message in sorted(found))
    for header, unknown in sorted(result.unknown_labels.items()):
        shown = ", ".join(f"'{v}'" for v in sorted(unknown)[:5])
        result.problems.append(
            f"Column '{header}': labels with no number yet: {shown}; give each a number in the mapping."
        )
    return result

"""Lists of people to invite, as pasted, uploaded or given to the command line: a CSV
with an ``email`` column (and optionally ``department``), or one address per line."""

import csv
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from perception.models import Department


def parse_addresses(text: str) -> list[tuple[str, str]]:
    """(address, department name) pairs from a CSV with an `email` column and an optional
    `department` column, or from one address per line (commas and semicolons also
    separate addresses there; no departments).

    Blank entries and repeats are dropped; order is kept.
    """
    rows = list(csv.reader(io.StringIO(text)))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if "email" in header:
        column = header.index("email")
        department = header.index("department") if "department" in header else None

        def cell(row: list[str], index: int | None) -> str:
            return row[index].strip() if index is not None and len(row) > index else ""

        values = [(cell(row, column), cell(row, department)) for row in rows[1:]]
    else:
        values = [(value.strip(), "") for value in re.split(r"[\n,;]+", text)]
    addresses, seen = [], set()
    for value, department_name in values:
        if value and value.lower() not in seen:
            seen.add(value.lower())
            addresses.append((value, " ".join(department_name.split())))
    return addresses


@dataclass
class Checked:
    """A list checked against the address rules and the known departments."""

    recipients: list[tuple[str, Department | None]] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    unknown_departments: list[str] = field(default_factory=list)


def check_addresses(pairs: list[tuple[str, str]]) -> Checked:
    departments = {d.name.lower(): d for d in Department.objects.all()}
    checked = Checked()
    checked.unknown_departments = sorted(
        {name for _, name in pairs if name and name.lower() not in departments}
    )
    for address, department_name in pairs:
        try:
            validate_email(address)
        except ValidationError:
            checked.bad.append(address)
            continue
        department = departments.get(department_name.lower()) if department_name else None
        checked.recipients.append((address, department))
    return checked

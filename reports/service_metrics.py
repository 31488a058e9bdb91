"""Importing help-desk service metrics from CSV: validated whole, applied all or nothing."""

import math
from datetime import date

from django.db import transaction

from perception.csvfiles import CsvProblem, read_rows
from reports.models import ServiceMetric

COLUMNS = ["month", "metric", "value", "unit"]
MAX_BYTES = 2 * 1024 * 1024
NAME_LENGTH = ServiceMetric._meta.get_field("name").max_length


class ServiceMetricsError(ValueError):
    """The file cannot be imported; the message names the row and column at fault."""


def _month(text: str, row: int) -> date:
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return date(int(year), int(month), 1)
    except ValueError:
        raise ServiceMetricsError(f"Row {row}, column month: '{text}' is not a month as YYYY-MM.") from None


def _value(text: str, row: int) -> float:
    try:
        value = float(text.replace(",", "")) if text.strip() else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ServiceMetricsError(f"Row {row}, column value: '{text}' is not a number.")
    return value


def import_service_metrics(data: bytes) -> tuple[int, int]:
    """Import every row or none. Returns (created, updated); a month and metric already
    stored are updated, the same month and metric twice in one file is refused."""
    if len(data) > MAX_BYTES:
        raise ServiceMetricsError("The file is larger than 2 MB; service metrics are a few rows a month.")
    try:
        parsed = read_rows(data, COLUMNS)
    except CsvProblem as problem:
        raise ServiceMetricsError(str(problem)) from None
    rows, seen = [], {}
    for number, cells in parsed:
        month = _month(cells["month"], number)
        name = cells["metric"]
        if not name:
            raise ServiceMetricsError(f"Row {number}, column metric: a metric needs a name.")
        if len(name) > NAME_LENGTH:
            raise ServiceMetricsError(
                f"Row {number}, column metric: at most {NAME_LENGTH} characters (this name has {len(name)})."
            )
        key = (month, name.lower())
        if key in seen:
            raise ServiceMetricsError(
                f"Row {number}: {name} for {cells['month']} is already on row {seen[key]}."
            )
        seen[key] = number
        rows.append((month, name, _value(cells["value"], number), cells["unit"][:20]))
    if not rows:
        raise ServiceMetricsError("The file has a header but no rows.")
    created = updated = 0
    with transaction.atomic():
        for month, name, value, unit in rows:
            _, was_created = ServiceMetric.objects.update_or_create(
                month=month, name=name, defaults={"value": value, "unit": unit}
            )
            created += was_created
            updated += not was_created
    return created, updated

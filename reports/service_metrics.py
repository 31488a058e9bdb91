"""Importing help-desk service metrics from CSV: validated whole, applied all or nothing."""

import csv
import io
import math
from datetime import date

from django.db import transaction

from reports.models import ServiceMetric

COLUMNS = ["month", "metric", "value", "unit"]
MAX_BYTES = 2 * 1024 * 1024


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
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceMetricsError("The file is not UTF-8 text; save it as CSV UTF-8 and try again.") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ServiceMetricsError(
            f"The file needs the columns month, metric, value and unit; missing: {', '.join(missing)}."
        )
    rows, seen = [], {}
    for number, raw in enumerate(reader, start=2):
        cells = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if None in raw:
            raise ServiceMetricsError(f"Row {number}: more cells than columns.")
        month = _month(cells["month"], number)
        name = cells["metric"]
        if not name:
            raise ServiceMetricsError(f"Row {number}, column metric: a metric needs a name.")
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

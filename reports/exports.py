"""Exports of the trends document and of raw responses, as CSV and XLSX.

Suppression is already applied in the document: suppressed cells stay empty and say so.
Every text cell goes through ``neutralise`` so a spreadsheet never runs it as a formula.
"""

import csv
import io

from openpyxl import Workbook

from perception.spreadsheets import neutralise

MEASURE_COLUMNS = [
    "scope",
    "measure",
    "label",
    "scale",
    "wave",
    "respondents",
    "mean",
    "mean_low",
    "mean_high",
    "favourable",
    "favourable_low",
    "favourable_high",
    "net_score",
    "net_score_low",
    "net_score_high",
    "note",
]


def _rows_for(scope: str, measure: dict, k: int):
    for wave in measure["waves"]:
        if wave["suppressed"]:
            yield (
                [scope, measure["key"], measure["label"], measure["scale"], wave["wave"]]
                + [None] * 10
                + [f"fewer than {k} responses"]
            )
            continue
        mean_ci = wave["mean_ci"] or [None, None]
        favorable_ci = wave["favorable_ci"] or [None, None]
        net_ci = wave["net_score_ci"] or [None, None]
        yield [
            scope,
            measure["key"],
            measure["label"],
            measure["scale"],
            wave["wave"],
            wave["n"],
            wave["mean"],
            *mean_ci,
            wave["favorable"],
            *favorable_ci,
            wave["net_score"],
            *net_ci,
            "",
        ]


def measure_rows(document: dict) -> list[list]:
    """One row per scope (the organisation or a department), measure and wave."""
    k = document["min_group_size"]
    scope = document["filters"]["department"] or "Whole organisation"
    rows = [row for measure in document["measures"] for row in _rows_for(scope, measure, k)]
    for department in document["departments"]:
        for measure in department["measures"]:
            rows.extend(_rows_for(department["department"], measure, k))
    return rows


def to_csv(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else neutralise(value) for value in row])
    return buffer.getvalue()


def to_xlsx(header: list[str], rows: list[list], title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

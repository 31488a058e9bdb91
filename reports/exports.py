"""Exports of the trends document and of raw responses, as CSV and XLSX.

Suppression is already applied in the document: suppressed cells stay empty and say so.
Every text cell goes through ``neutralise`` so a spreadsheet never runs it as a formula.
"""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from openpyxl import Workbook

from perception.spreadsheets import neutralise
from reports import summary

MEASURE_COLUMNS = [
    "scope",
    "measure",
    "kind",
    "label",
    "scale_low",
    "scale_high",
    "wave",
    "respondents",
    "mean",
    "mean_low",
    "mean_high",
    "mean_interval_clipped",
    "favourable",
    "favourable_low",
    "favourable_high",
    "favourable_definition",
    "net_score",
    "net_score_low",
    "net_score_high",
    "change_from",
    "change",
    "change_low",
    "change_high",
    "change_q",
    "change_called",
    "change_in_words",
    "trend_per_month",
    "trend_low",
    "trend_high",
    "trend_q",
    "trend_in_words",
    "note",
]


def _pair(interval: dict | None) -> list:
    return [interval["low"], interval["high"]] if interval else [None, None]


def _change_cells(measure: dict, wave: str) -> list:
    """The change into this wave (mean), on the row of the wave it ends at."""
    change = measure["change"]
    if not change or change["to_wave"] != wave:
        return [None] * 7
    mean = change["mean"]
    return [
        change["from_wave"],
        mean["delta"],
        *_pair(mean["ci"]),
        mean["q"],
        mean["called"],
        summary.change_words(mean),
    ]


def _trend_cells(measure: dict, wave: str, last_shown: str | None) -> list:
    """The trend of the mean per month, on the row of the last shown wave."""
    trend = measure["trend"]["mean"]
    if wave != last_shown:
        return [None] * 5
    return [
        trend["slope_per_month"],
        *_pair(trend["slope_ci"]),
        trend["q"],
        summary.trend_words(trend),
    ]


def _rows_for(scope: str, measure: dict, k: int):
    head = [
        scope,
        measure["key"],
        measure["kind"],
        measure["label"],
        measure["scale_low"],
        measure["scale_high"],
    ]
    shown = [w["wave"] for w in measure["waves"] if not w["suppressed"]]
    last_shown = shown[-1] if shown else None
    for wave in measure["waves"]:
        if wave["suppressed"]:
            yield [*head, wave["wave"]] + [None] * 24 + [f"fewer than {k} responses"]
            continue
        notes = []
        if wave["mean_ci_missing"]:
            notes.append(f"no interval: {wave['mean_ci_missing']}")
        if wave["mean_ci"] and wave["mean_ci"]["clipped"]:
            notes.append("interval cut at the end of the scale")
        change = measure["change"]
        if change and change["to_wave"] == wave["wave"] and not change["wander_known"]:
            notes.append("two waves only: the usual wave-to-wave wander is not yet known")
        yield [
            *head,
            wave["wave"],
            wave["n"],
            wave["mean"],
            *_pair(wave["mean_ci"]),
            bool(wave["mean_ci"] and wave["mean_ci"]["clipped"]),
            wave["favorable"],
            *_pair(wave["favorable_ci"]),
            measure["favorable_definition"],
            wave["net_score"],
            *_pair(wave["net_score_ci"]),
            *_change_cells(measure, wave["wave"]),
            *_trend_cells(measure, wave["wave"], last_shown),
            "; ".join(notes),
        ]


def measure_rows(document: dict) -> Iterator[list]:
    """One row per scope (the organisation or a department), measure and wave; the change
    sits on the row of the wave it ends at, the trend on the last shown wave's row."""
    k = document["min_group_size"]
    scope = document["filters"]["department"] or "Whole organisation"
    for measure in document["measures"]:
        yield from _rows_for(scope, measure, k)
    for department in document["departments"]:
        for measure in department["measures"]:
            yield from _rows_for(department["department"], measure, k)


class _Line:
    """A file-like object whose write() hands back the line csv.writer just formatted."""

    def write(self, line: str) -> str:
        return line


# Lines sent together by a streaming download: a response sends each piece it is given
# with its own encoding step, which for one line at a time cost as much as writing it.
CSV_LINES_PER_PIECE = 200


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV a few hundred lines at a time, as the rows arrive, for a streaming download.

    Only text is neutralised (numbers cannot hold a formula); None is written empty."""
    writer = csv.writer(_Line())
    yield writer.writerow([neutralise(value) for value in header])  # a header can be an imported question
    piece = []
    for row in rows:
        cells = [neutralise(value) if isinstance(value, str) else value for value in row]
        piece.append(writer.writerow(cells))
        if len(piece) == CSV_LINES_PER_PIECE:
            yield "".join(piece)
            piece = []
    if piece:
        yield "".join(piece)


def to_csv(header: list[str], rows: Iterable[list]) -> str:
    return "".join(csv_lines(header, rows))


def xlsx_file(header: list[str], rows: Iterable[list], title: str) -> IO[bytes]:
    """The workbook in a temporary file (deleted when closed), rewound for reading.

    openpyxl's write-only mode writes each row out as it is appended, and the file keeps
    the finished workbook out of memory while it is sent."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append([neutralise(value) for value in header])
    for row in rows:
        sheet.append([neutralise(value) for value in row])
    file = tempfile.TemporaryFile()
    workbook.save(file)
    file.seek(0)
    return file


def to_xlsx(header: list[str], rows: Iterable[list], title: str) -> bytes:
    with xlsx_file(header, rows, title) as file:
        return file.read()

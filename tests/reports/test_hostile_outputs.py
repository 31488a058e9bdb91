"""What people typed cannot break an output: control characters and formulas in exports
(headers included), TeX-looking dollar signs in charts."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reports import charts, exports
from surveys.models import Question
from tests.factories import add_question, add_response, make_past_waves, make_survey, make_user

HOSTILE_HEADER = '=HYPERLINK("http://x","y") How quick is IT?'


def xlsx_cells(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_control_characters_are_stripped_and_header_formulas_neutralised(fmt):
    header = [HOSTILE_HEADER, "@SUM(A1)", "plain"]
    rows = [["bell\x07 and \x1b escape", "tab\tkept", "-1+2"], [4, None, "\x00nul"]]
    if fmt == "csv":
        cells = list(csv.reader(io.StringIO(exports.to_csv(header, rows))))
    else:
        cells = xlsx_cells(exports.to_xlsx(header, rows, "Responses"))
    assert cells[0] == ["'" + HOSTILE_HEADER, "'@SUM(A1)", "plain"]
    assert cells[1] == ["bell and  escape", "tab\tkept", "'-1+2"]
    assert cells[2][2] == "nul"


@pytest.mark.django_db
def test_a_comment_with_a_control_character_does_not_break_the_raw_xlsx(client):
    """One such comment used to make responses.xlsx answer 500 from then on."""
    survey = make_survey(slug="pulse")
    comment = add_question(survey, Question.TEXT, text=HOSTILE_HEADER)
    wave = make_past_waves(survey, ["2026 Q1"])[0]
    for _ in range(survey.group_threshold()):  # a wave too small to show is not exported at all
        add_response(wave, {comment: "fine until \x0b this"})
    admin = make_user("root")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    client.force_login(admin)
    page = client.get(reverse("reports:responses_xlsx") + "?survey=pulse")
    assert page.status_code == 200
    cells = [cell for row in xlsx_cells(page.getvalue()) for cell in row]
    assert "fine until  this" in cells
    assert "'" + HOSTILE_HEADER in cells and HOSTILE_HEADER not in cells


def measure(labels: list[str]) -> dict:
    waves = [
        {"wave": label, "suppressed": False, "mean": 3.5, "n": 9, "mean_ci": None, "mean_ci_missing": "n < 2"}
        for label in labels
    ]
    return {"label": "Costs in $ and $$", "waves": waves, "scale_low": 1, "scale_high": 5}


@pytest.mark.parametrize("labels", [["$x^$", "Q2 $5"], ["$\\frac{1}{$", "$$"], ["Budget $10 to $20"]])
def test_dollar_signs_in_wave_labels_are_drawn_as_typed(labels):
    svg = charts.trend_svg(measure(labels))
    png = charts.trend_png(measure(labels))
    assert svg.startswith("<?xml") or "<svg" in svg
    assert png.startswith(b"\x89PNG")

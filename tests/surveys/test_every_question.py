"""Issue 14: scales declared not guessed, every question kind a measure, imports that
respect the survey. Each failure listed in the issue has a test here."""

import json
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from surveys import imports
from surveys.imports.scales import label_number
from surveys.models import Answer, ImportRecord, Question, Response, Survey, Wave
from tests.factories import add_question, make_survey

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
SSI = FIXTURES / "ssi-rse-2017-de-public-data.csv"
AGREEMENT = ["Strongly disagree", "Disagree", "Neither agree or disagree", "Agree", "Strongly Agree"]


def run(path, *args) -> str:
    out = StringIO()
    call_command("import_responses", str(path), *args, stdout=out)
    return out.getvalue()


def mapping(tmp_path, content) -> Path:
    path = tmp_path / f"mapping-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def proposals(path: Path) -> dict[str, imports.Scale]:
    table = imports.read_export(path.read_bytes())
    return imports.propose_scales(table, imports.propose_mapping(table))


def test_ssi_rse_items_are_proposed_on_the_scales_their_labels_give():
    """0–5 is not 0–10, 1–10 is not 0–10, agreement labels are 1–5 (from the file's labels)."""
    scales = proposals(SSI)
    by_code = {header.split(".")[0]: scale for header, scale in scales.items()}
    assert (by_code["rse3[SQ001]"].low, by_code["rse3[SQ001]"].high) == (0, 5)
    assert (
        by_code["rse3[SQ001]"].labels[0] == "Mostly me"
        and by_code["rse3[SQ001]"].labels[-1] == "Mostly other people"
    )
    ten_point = [c for c, s in by_code.items() if (s.low, s.high) == (1, 10)]
    # likert0 (time spent, 5), likert1 (feedback and turnover, 11), open1can and open3can.
    assert len(ten_point) == 18 and all(
        c.startswith(("likert0[", "likert1[", "open1can", "open3can")) for c in ten_point
    )
    assert {(by_code[c].low, by_code[c].high) for c in by_code if c.startswith("likert3[")} == {(0, 10)}
    agreement = [by_code[c] for c in by_code if c.startswith("likert2[")]
    assert len(agreement) == 20 and {(s.name, s.low, s.high) for s in agreement} == {("Agreement", 1, 5)}
    assert list(agreement[0].labels) == AGREEMENT


def test_ssi_rse_imports_under_confirmed_scales_without_net_scores(tmp_path):
    run(
        SSI,
        "--survey",
        "rse",
        "--confirm-scales",
        "--mapping",
        str(
            mapping(
                tmp_path,
                {"scales": {h: {"low": 1, "high": 10} for h, s in proposals(SSI).items() if s.from_values}},
            )
        ),
    )
    survey = Survey.objects.get(slug="rse")
    rated = survey.questions.filter(kind=Question.RATING)
    assert rated.filter(scale_low=1, scale_high=10).count() == 18
    assert rated.get(text__startswith="rse3[SQ001]").scale == (0, 5)
    assert not survey.questions.filter(likelihood_to_recommend=True).exists()
    # Every stored answer lies on its question's declared scale.
    for question in rated:
        low, high = question.scale
        numbers = Answer.objects.filter(question=question).values_list("number", flat=True)
        assert all(low <= n <= high for n in numbers)


def test_a_column_with_no_confirmed_scale_stores_nothing():
    with pytest.raises(CommandError, match="confirm its scale"):
        run(SSI, "--survey", "rse")
    assert not Survey.objects.filter(slug="rse").exists()


def test_spanish_labels_are_scored_and_dont_know_is_missing():
    """RStudio 2020: Spanish yes/no agreement labels become 1–5; "No estoy segura" is no answer."""
    path = FIXTURES / "rstudio-2020-spanish-survey.tsv"
    scale = proposals(path)["Qr_community"]
    assert (scale.name, scale.low, scale.high, scale.dont_know) == (
        "Agreement (yes/no)",
        1,
        5,
        "No estoy segura",
    )
    assert scale.labels[0] == "No, en absoluto" and scale.labels[-1] == "Sí definitivamente"


def test_rstudio_2020_imports_with_every_question_on_the_dashboard(tmp_path, client):
    path = FIXTURES / "rstudio-2020-spanish-survey.tsv"
    declared = {"Qr_enjoyment": {"low": 1, "high": 5}, "Qpython_enjoy": {"low": 1, "high": 5}}
    declared |= {h: {"low": 0, "high": 10} for h in ("Qrecommend", "Qpython_recommend")}
    run(
        path,
        "--survey",
        "rstudio",
        "--wave",
        "2020",
        "--confirm-scales",
        "--mapping",
        str(mapping(tmp_path, {"scales": declared})),
    )
    survey = Survey.objects.get(slug="rstudio")
    community = survey.questions.get(text="Qr_community")
    assert community.kind == Question.RATING and community.dont_know_label == "No estoy segura"
    # "No estoy segura" (7 people) is not a point: only the 550 who answered on the scale count.
    assert Answer.objects.filter(question=community).count() == 561 - 4 - 7
    from tests.factories import make_user

    client.force_login(make_user("viewer", "Viewers"))
    page = client.get("/dashboard/?survey=rstudio")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Qr_enjoyment" in body and "Qr_community" in body  # rated questions without a dimension
    assert "Qr_experience" in body and "Intermedio" in body  # a single-choice distribution
    assert "choice-distribution" in body


def test_old_code_failures_zero_to_six_months_is_not_zero():
    assert label_number("0-6 months") is None
    assert label_number("5 - Strongly agree") == 5 and label_number("10 (All my time)") == 10


def test_a_numeric_choice_code_stays_a_choice_and_responseset_is_not_text():
    table = imports.read_export((FIXTURES / "qualtrics-sample.csv").read_bytes())
    assert imports.propose_mapping(table)["This is a multiple choice question."] == "single"
    legacy = imports.read_export((FIXTURES / "qualtrics-sample-legacy.csv").read_bytes())
    assert imports.propose_mapping(legacy)["ResponseSet"] == "ignore"


def _csv(tmp_path, header: str, values: list[str]) -> Path:
    path = tmp_path / f"file-{len(list(tmp_path.iterdir()))}.csv"
    path.write_text(
        f"Timestamp,{header}\n" + "".join(f"2026-01-0{i + 1} 10:00:00,{v}\n" for i, v in enumerate(values))
    )
    return path


def test_out_of_range_values_are_refused_naming_row_and_column(tmp_path):
    path = _csv(tmp_path, "IT is quick", ["1", "5", "9", "3", "2", "4"])
    declared = mapping(tmp_path, {"scales": {"IT is quick": {"low": 1, "high": 5}}})
    with pytest.raises(
        CommandError, match=r"Row 4, column 'IT is quick': 9 is outside the declared scale 1–5"
    ):
        run(path, "--survey", "quick", "--mapping", str(declared))
    assert Response.objects.count() == 0


def test_a_0_to_10_file_onto_a_1_to_5_question_is_refused(tmp_path):
    survey = make_survey(slug="pulse")
    add_question(survey, Question.RATING_5, text="IT is quick")
    path = _csv(tmp_path, "IT is quick", ["0", "10", "7", "3", "2", "8"])
    declared = mapping(tmp_path, {"scales": {"IT is quick": {"low": 0, "high": 10}}})
    with pytest.raises(CommandError, match="0–10 scale but the survey's question is on 1–5"):
        run(path, "--survey", "pulse", "--mapping", str(declared))
    assert Answer.objects.count() == 0


def test_a_kind_clash_is_a_clear_message_not_an_attribute_error(tmp_path):
    survey = make_survey(slug="pulse")
    add_question(survey, Question.TEXT, text="IT is quick")
    path = _csv(tmp_path, "IT is quick", ["1", "5", "4", "3", "2", "4"])
    declared = mapping(tmp_path, {"scales": {"IT is quick": {"low": 1, "high": 5}}})
    with pytest.raises(CommandError, match="holds rating answers but the survey's question is free text"):
        run(path, "--survey", "pulse", "--mapping", str(declared))


@pytest.mark.parametrize(
    "content, message",
    [
        ({"columns": {"IT is quick": None}}, "Unknown kind null"),
        ({"labels": {"IT is quick": {"Fast": None}}}, "needs a whole number, not null"),
        ({"labels": None, "columns": None}, None),
        ({"scales": {"IT is quick": None}}, "a scale must be an object"),
        ({"scales": {"IT is quick": {"low": None, "high": 5}}}, "whole numbers for low and high"),
        ([1, 2], "must be one JSON object"),
    ],
)
def test_null_and_wrong_types_in_a_mapping_file_are_clear_errors(tmp_path, content, message):
    path = _csv(tmp_path, "IT is quick", ["Fast", "5", "4", "3", "2", "4"])
    if message is None:  # null sections are simply empty: the proposal stands
        run(path, "--survey", "quick", "--mapping", str(mapping(tmp_path, content)))
        return
    with pytest.raises(CommandError, match=message):
        run(path, "--survey", "quick", "--mapping", str(mapping(tmp_path, content)))


def _form(client) -> str:
    """The public form without its per-visit CSRF token."""
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", client.get("/s/pulse/").content.decode())


def test_an_import_never_changes_a_live_survey_or_its_public_form(tmp_path, client):
    survey = make_survey(slug="pulse")
    add_question(survey, Question.RATING_5, text="IT is quick", dimension="Speed")
    now = timezone.now()
    wave = Wave.objects.create(
        survey=survey, label="Now", opens=now - timedelta(days=1), closes=now + timedelta(days=9)
    )
    before = _form(client)
    path = tmp_path / "more.csv"
    path.write_text(
        "Timestamp,IT is quick,Anything else?\n"
        + "".join(f"2026-01-0{i + 1} 10:00:00,4,Fine\n" for i in range(6))
    )
    declared = mapping(tmp_path, {"scales": {"IT is quick": {"low": 1, "high": 5}}})
    with pytest.raises(CommandError, match="never changes a live survey"):
        run(path, "--survey", "pulse", "--mapping", str(declared))
    assert list(survey.questions.values_list("text", flat=True)) == ["IT is quick"]
    assert _form(client) == before
    assert survey.waves.get() == wave and survey.public_wave(timezone.now())[0] == wave


def test_an_import_never_adds_questions_to_an_existing_survey(tmp_path):
    survey = make_survey(slug="pulse")
    add_question(survey, Question.RATING_5, text="IT is quick")
    path = tmp_path / "more.csv"
    path.write_text(
        "Timestamp,IT is quick,Anything else?\n"
        + "".join(f"2026-01-0{i + 1} 10:00:00,4,Fine {i}\n" for i in range(6))
    )
    declared = mapping(
        tmp_path, {"scales": {"IT is quick": {"low": 1, "high": 5}}, "columns": {"Anything else?": "text"}}
    )
    with pytest.raises(CommandError, match=r"does not .*'Anything else\?'.*new survey"):
        run(path, "--survey", "pulse", "--mapping", str(declared))
    assert survey.questions.count() == 1


def test_an_imported_wave_is_closed_so_public_responses_go_to_the_open_wave(tmp_path):
    path = tmp_path / "undated.csv"
    path.write_text("Anything else?\n" + "".join(f"Fine {i}\n" for i in range(6)))
    run(
        path,
        "--survey",
        "undated",
        "--mapping",
        str(mapping(tmp_path, {"columns": {"Anything else?": "text"}})),
    )
    wave = Survey.objects.get(slug="undated").waves.get()
    assert wave.status(timezone.now()) == Wave.CLOSED


def test_instructor_names_are_not_imported_unless_kept_by_an_explicit_recorded_choice(tmp_path):
    path = FIXTURES / "jupyter-2016-education-responses.csv"
    header = "What are the names of the course instructors?"
    output = run(path, "--survey", "jupyter", "--dry-run")
    assert f"{header}  (personal data: not imported)" in output
    run(path, "--survey", "jupyter")
    assert not Survey.objects.get(slug="jupyter").questions.filter(text=header).exists()
    assert not Answer.objects.filter(text__contains="Hamrick").exists()
    run(
        path,
        "--survey",
        "jupyter-kept",
        "--keep-personal",
        header,
        "--mapping",
        str(mapping(tmp_path, {"columns": {header: "text"}})),
    )
    assert Survey.objects.get(slug="jupyter-kept").questions.filter(text=header).exists()
    assert ImportRecord.objects.get(survey__slug="jupyter-kept").kept_personal == [header]
    assert ImportRecord.objects.get(survey__slug="jupyter").kept_personal == []


def test_iso_and_the_tools_timestamp_formats_are_read():
    from surveys.imports.mapping import _parse_timestamp

    for value in [
        "2020-12-11T09:07:17Z",
        "2017-07-18 08:28:09",
        "2026-01-05T10:00:00.123+01:00",
        "4/22/2016 19:57:50",
        "9/1/2024 11:27",
        "10/01/2026 09:00:00 AM",
        "2016/04/22 7:57:50 PM GMT+1",
        "05.01.2026 10:00",
    ]:
        assert _parse_timestamp(value) is not None, value


def test_the_mapping_page_shows_the_proposed_scale_and_imports_only_once_confirmed(client):
    """One decision for a block of agreement columns; personal data listed as not imported."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import make_user

    client.force_login(make_user("boss", "Managers"))
    quick, kind = ["Agree", "Strongly agree", "Disagree"], ["Agree", "Disagree"]
    rows = ["Timestamp,Name,IT is quick,IT is kind"] + [
        f"2026-01-0{i + 1} 10:00:00,Ana {i},{quick[i % 3]},{kind[i % 2]}" for i in range(6)
    ]
    upload = SimpleUploadedFile("pulse.csv", ("\n".join(rows) + "\n").encode(), content_type="text/csv")
    url = client.post("/import/", {"file": upload, "title": "agree", "format": "auto"})["Location"]
    page = client.get(url).content.decode()
    assert "Agreement, 1–5: Disagree … Strongly agree" in page or "Agreement, 1–5:" in page
    assert "Not imported: personal data" in page and "Keep “Name”" in page
    fields = {"column_0": "timestamp", "column_1": "ignore", "column_2": "rating", "column_3": "rating"}
    refused = client.post(url, fields | {"scale_0_low": "1", "scale_0_high": "5", "action": "import"})
    assert refused.status_code == 400 and "confirm its scale" in refused.content.decode()
    assert not Survey.objects.filter(slug="agree").exists()
    confirm = {"scale_0_low": "1", "scale_0_high": "5", "scale_0_confirm": "on", "action": "import"}
    done = client.post(url, fields | confirm)
    assert done.status_code == 302
    quick = Survey.objects.get(slug="agree").questions.get(text="IT is quick")
    assert quick.scale == (1, 5) and quick.point_labels()[5] == "Strongly agree"
    assert not Survey.objects.get(slug="agree").questions.filter(text="Name").exists()


def test_a_google_sheets_tsv_with_literal_quotes_reads_every_row():
    """RStudio 2019 (Google Sheets TSV) does not quote: a quote in an answer is a
    character, not the start of a quoted cell. Every row keeps its 52 tab-separated fields."""
    from perception.uploads import Limits, read_csv

    text = (FIXTURES / "rstudio-2019-english-survey.tsv").read_text(encoding="utf-8")
    rows = read_csv(text, Limits.from_settings(), "\t")
    assert len(rows) == 1839 and {len(row) for row in rows} == {52}
    assert any('"' in cell for row in rows for cell in row)


def test_a_tsv_whose_open_quote_really_swallows_lines_is_still_refused():
    """The fallback needs every line to have the header's tabs; a broken file stays refused."""
    from perception.uploads import Limits, UploadProblem, read_csv

    with pytest.raises(UploadProblem, match="never closed"):
        read_csv('a\tb\n"x\ty\n1\t2\t3\n', Limits.from_settings(), "\t")

"""Bringing existing surveys in: real exports from other tools, all rows or none."""

import io
import json
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from surveys.models import Answer, Choice, ImportRecord, Question, Response, Survey

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"


def run(path, *args) -> str:
    out = StringIO()
    call_command("import_responses", str(path), *args, stdout=out)
    return out.getvalue()


def trends(slug: str) -> dict:
    out = StringIO()
    call_command("trends", "--survey", slug, "--json", stdout=out)
    return json.loads(out.getvalue())


LIKERT = {"Strongly disagree": 1, "Disagree": 2, "Neutral": 3, "Agree": 4, "Strongly agree": 5}


def test_trends_after_import_equal_a_direct_pandas_computation(tmp_path):
    """Per-question n and mean from `trends --json` match pandas on the same file."""
    path = FIXTURES / "carpentries-longterm-2020-other-no-open.csv"
    declared = mapping_file(tmp_path, {"scales": {"recommendation_score": {"low": 0, "high": 10}}})
    run(path, "--survey", "carpentries", "--wave", "2020", "--confirm-scales", "--mapping", str(declared))
    document = trends("carpentries")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    by_label = {m["label"]: m["waves"][0] for m in document["measures"]}
    likert = [c for c in frame.columns if c.startswith("impact_")]
    assert likert
    for column in likert:
        values = frame[column].map(LIKERT).dropna()
        assert by_label[column]["n"] == len(values)
        assert by_label[column]["mean"] == pytest.approx(values.mean(), abs=1e-4)
    scores = pd.to_numeric(frame["recommendation_score"].replace("NA", None), errors="coerce").dropna()
    assert by_label["recommendation_score"]["n"] == len(scores)
    assert by_label["recommendation_score"]["mean"] == pytest.approx(scores.mean(), abs=1e-4)


def test_google_forms_export_becomes_a_new_survey_and_a_wave_named_by_its_dates():
    output = run(FIXTURES / "jupyter-2016-education-responses.csv", "--survey", "jupyter-education")
    survey = Survey.objects.get(slug="jupyter-education")
    wave = survey.waves.get()
    assert "google-forms export" in output and "(new survey)" in output
    assert wave.label == f"{wave.opens:%Y-%m-%d} to {(wave.closes):%Y-%m-%d}"
    assert Response.objects.filter(wave=wave).count() == 125
    assert survey.questions.filter(kind=Question.TEXT).exists()
    # Quoted line breaks inside cells survive.
    assert Answer.objects.filter(response__wave=wave, text__contains="\n").exists()


def test_microsoft_forms_windows_1252_csv_drops_names_and_emails():
    run(FIXTURES / "uva-hotdog-fa24-msforms.csv", "--survey", "hotdog")
    survey = Survey.objects.get(slug="hotdog")
    texts = set(survey.questions.values_list("text", flat=True))
    assert not {"Email", "Name"} & texts
    assert Response.objects.filter(wave__survey=survey).count() == 187
    # The file is Windows-1252: its curly apostrophe (byte 0x92) is read as ’, wherever it landed.
    stored = list(Answer.objects.values_list("text", flat=True)) + list(
        Choice.objects.values_list("label", flat=True)
    )
    assert any("’" in value for value in stored)


def test_qualtrics_export_skips_incomplete_and_never_stores_ip_or_location():
    output = run(FIXTURES / "qualtrics-sample.csv", "--survey", "qualtrics")
    survey = Survey.objects.get(slug="qualtrics")
    assert "qualtrics export" in output
    texts = " ".join(survey.questions.values_list("text", flat=True))
    for private in ("IPAddress", "Location", "Recipient"):
        assert private not in texts
    stored = " ".join(str(v) for v in Answer.objects.values_list("text", flat=True))
    assert "Hello World!" in stored
    raw = (FIXTURES / "qualtrics-sample.csv").read_text()
    lat = raw.splitlines()[3].split(",")[13]
    assert lat and lat not in stored


def test_qualtrics_unfinished_responses_are_skipped_and_counted(tmp_path):
    lines = (FIXTURES / "qualtrics-sample.csv").read_text().splitlines()
    unfinished = lines[3].replace(",100,38,1,", ",40,38,0,", 1)  # Progress 40, Finished 0
    path = tmp_path / "qualtrics.csv"
    path.write_text("\n".join([*lines, unfinished]) + "\n")
    output = run(path, "--survey", "qualtrics-two")
    assert "1 complete responses, 1 incomplete skipped" in output
    assert Response.objects.filter(wave__survey__slug="qualtrics-two").count() == 1


def test_limesurvey_and_surveymonkey_exports_import():
    run(FIXTURES / "ssi-rse-2017-de-public-data.csv", "--survey", "rse", "--dry-run")
    run(FIXTURES / "ohbm-2022-community-survey.csv", "--survey", "ohbm")
    assert Response.objects.filter(wave__survey__slug="ohbm").count() == 311
    assert not Survey.objects.filter(slug="rse").exists()  # a dry run stores nothing


def test_bom_and_crlf_are_read():
    run(FIXTURES / "touchpoints-cx-responses-bom.csv", "--survey", "touchpoints")
    survey = Survey.objects.get(slug="touchpoints")
    assert survey.questions.filter(text="question_1").exists()  # no BOM in the first header


def microsoft_forms_xlsx() -> bytes:
    """A synthetic Microsoft Forms export, laid out as its documentation shows."""
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "ID",
            "Start time",
            "Completion time",
            "Email",
            "Name",
            "IT fixes problems quickly",
            "Which channels do you use?",
            "Department",
        ]
    )
    for index in range(6):
        sheet.append(
            [
                index + 1,
                "11/2/26 09:00:00",
                "11/2/26 09:03:00",
                "ana@example.org",
                "Ana",
                ["Strongly agree", "Agree", "Disagree"][index % 3],
                "Email;Chat" if index % 2 else "Phone",
                "Finance",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_microsoft_forms_xlsx_with_semicolon_multi_select(tmp_path):
    path = tmp_path / "forms.xlsx"
    path.write_bytes(microsoft_forms_xlsx())
    run(path, "--survey", "forms", "--wave", "Pilot", "--confirm-scales")
    survey = Survey.objects.get(slug="forms")
    rating = survey.questions.get(text="IT fixes problems quickly")
    assert rating.kind == Question.RATING and rating.scale == (1, 5)
    assert sorted(Answer.objects.filter(question=rating).values_list("number", flat=True)) == [
        2,
        2,
        4,
        4,
        5,
        5,
    ]
    multiple = survey.questions.get(text="Which channels do you use?")
    assert multiple.kind == Question.MULTIPLE
    assert set(multiple.choices.values_list("label", flat=True)) == {"Email", "Chat", "Phone"}
    assert set(Response.objects.filter(wave__survey=survey).values_list("department__name", flat=True)) == {
        "Finance"
    }
    assert not Answer.objects.filter(text__icontains="ana").exists()


def test_limesurvey_code_headings_with_agreement_labels(tmp_path):
    """A synthetic LimeSurvey export with code headings, ';' delimiter and a BOM."""
    rows = ["id;submitdate;lastpage;startlanguage;Q1[SQ001];Q1[SQ002];Q2"]
    for index in range(6):
        submitted = f"2026-10-0{index + 1} 10:00:00" if index < 5 else ""
        rows.append(f"{index + 1};{submitted};3;en;5 - Strongly agree;{index % 5 + 1};Fine")
    path = tmp_path / "lime.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(rows) + "\r\n").encode("utf-8"))
    ends = {"low": 1, "high": 5}
    declared = mapping_file(tmp_path, {"scales": {"Q1[SQ001]": ends, "Q1[SQ002]": ends}})
    output = run(path, "--survey", "lime", "--mapping", str(declared))
    assert "limesurvey export, 5 complete responses, 1 incomplete skipped" in output
    question = Survey.objects.get(slug="lime").questions.get(text="Q1[SQ001]")
    assert set(Answer.objects.filter(question=question).values_list("number", flat=True)) == {5}


def test_unknown_labels_are_asked_about_not_guessed(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(
        "Timestamp,IT is helpful\n"
        + "".join(f"10/1/2026 9:00:0{i},{'Very much' if i == 0 else 'Agree'}\n" for i in range(6))
    )
    with pytest.raises(CommandError, match="labels with no number yet: 'Very much'"):
        run(
            path,
            "--survey",
            "labels",
            "--mapping",
            str(mapping_file(tmp_path, {"columns": {"IT is helpful": "rating_5"}})),
        )
    assert not Survey.objects.filter(slug="labels").exists()
    fixed = mapping_file(
        tmp_path, {"columns": {"IT is helpful": "rating_5"}, "labels": {"IT is helpful": {"Very much": 5}}}
    )
    run(path, "--survey", "labels", "--mapping", str(fixed))
    assert sorted(Answer.objects.values_list("number", flat=True)) == [4, 4, 4, 4, 4, 5]


def mapping_file(tmp_path, content) -> Path:
    path = tmp_path / f"mapping-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(content))
    return path


def test_the_same_file_twice_is_refused_unless_forced():
    path = FIXTURES / "touchpoints-cx-responses-bom.csv"
    run(path, "--survey", "tp", "--wave", "First")
    with pytest.raises(CommandError, match="imported into this survey before; use --force"):
        run(path, "--survey", "tp", "--wave", "Second")
    run(path, "--survey", "tp", "--wave", "Second", "--force")
    assert ImportRecord.objects.filter(survey__slug="tp").count() == 2


HOSTILE = {
    "formula": (
        'Timestamp,Comment\n10/1/2026 9:00:00,"=HYPERLINK(""http://x"",""y"")"\n',
        "looks like a spreadsheet formula",
    ),
    "cell of 10 MB": (
        'Timestamp,Comment\n10/1/2026 9:00:00,"' + "x" * (10 * 1024 * 1024) + '"\n',
        "larger than 128 KB",
    ),
    "wrong number of fields": (
        "Timestamp,A,B\n10/1/2026 9:00:00,1,2\n10/1/2026 9:00:01,1\n",
        "Row 3: 2 fields where the header has 3.",
    ),
    "binary junk": (bytes(range(256)) * 40, "binary data"),
    "empty": (b"", "The file is empty."),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_cleanly_with_nothing_stored(tmp_path, case):
    content, message = HOSTILE[case]
    path = tmp_path / "hostile.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(path, "--survey", "hostile")
    assert not Survey.objects.filter(slug="hostile").exists()
    assert Response.objects.count() == 0


def test_too_large_a_file_gets_a_clear_message(settings, tmp_path):
    settings.UPLOAD_MAX_BYTES = 100
    path = tmp_path / "big.csv"
    path.write_text("Timestamp,A\n" + "10/1/2026 9:00:00,1\n" * 20)
    with pytest.raises(CommandError, match="larger than"):
        run(path, "--survey", "big")


def test_utf16_excel_csv_is_read(tmp_path):
    text = "Timestamp\tIT is quick\n" + "".join(f"10/1/2026 9:00:0{i}\t{i % 5 + 1}\n" for i in range(6))
    path = tmp_path / "utf16.csv"
    path.write_bytes(text.encode("utf-16"))
    declared = mapping_file(tmp_path, {"scales": {"IT is quick": {"low": 1, "high": 5}}})
    run(path, "--survey", "utf16", "--mapping", str(declared))
    assert Answer.objects.filter(question__survey__slug="utf16").count() == 6


def test_the_upload_page_proposes_a_mapping_asks_about_labels_then_imports(client, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import make_user

    client.force_login(make_user("manager", "Managers"))
    text = "Timestamp,IT is helpful,Department\n" + "".join(
        f"10/1/2026 9:00:0{i},{'Very much' if i == 0 else 'Agree'},Finance\n" for i in range(6)
    )
    upload = client.post(
        "/import/",
        {
            "file": SimpleUploadedFile("forms.csv", text.encode()),
            "title": "Staff pulse",
            "wave": "",
            "format": "auto",
        },
    )
    assert upload.status_code == 302
    mapping_url = upload["Location"]
    page = client.get(mapping_url)
    body = page.content.decode()
    assert "Detected a <strong>google-forms</strong> export with 6 complete responses" in body
    fields = {f"column_{i}": kind for i, kind in enumerate(["timestamp", "rating_5", "department"])}
    checked = client.post(mapping_url, fields | {"action": "import"})
    assert checked.status_code == 400
    assert "labels with no number yet: &#x27;Very much&#x27;" in checked.content.decode()
    assert not Survey.objects.filter(slug="staff-pulse").exists()
    label_field = next(name for name in checked.context["form"].fields if name.startswith("label_"))
    done = client.post(mapping_url, fields | {label_field: "5", "action": "import"})
    assert done.status_code == 302 and "/dashboard/?survey=staff-pulse" in done["Location"]
    assert sorted(Answer.objects.values_list("number", flat=True)) == [4, 4, 4, 4, 4, 5]


def test_the_upload_page_refuses_a_bad_file_and_needs_the_manager_role(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import make_user

    client.force_login(make_user("viewer", "Viewers"))
    assert client.get("/import/").status_code == 403
    client.force_login(make_user("manager", "Managers"))
    page = client.post(
        "/import/",
        {"file": SimpleUploadedFile("junk.csv", bytes(range(256)) * 40), "title": "junk", "format": "auto"},
    )
    assert page.status_code == 400
    assert "binary data" in page.content.decode()


def test_surveymonkey_two_header_rows_with_one_column_per_option(tmp_path):
    """A synthetic SurveyMonkey export: metadata, a question's text only above its first
    column, "Response" or the option label below; personal columns are dropped."""
    header = [
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "How satisfied are you with IT?",
        "Which channels do you use?",
        "",
        "",
        "Any comments?",
    ]
    sub = ["", "", "", "", "", "", "", "", "Response", "Email", "Chat", "Phone", "Open-Ended Response"]
    rows = [
        [
            f"1100{i}",
            "42",
            "10/01/2026 09:00:00 AM",
            f"10/01/2026 09:0{i}",
            "203.0.113.9",
            "ana@example.org",
            "Ana",
            "Lopez",
            ["Agree", "Strongly agree", "Disagree"][i % 3],
            "Email" if i % 2 else "",
            "Chat",
            "Phone" if i % 3 == 0 else "",
            "Fine" if i % 2 else "",
        ]
        for i in range(6)
    ]
    path = tmp_path / "monkey.csv"
    with path.open("w", newline="") as handle:
        import csv

        writer = csv.writer(handle)
        writer.writerows([header, sub, *rows])
    output = run(path, "--survey", "monkey", "--wave", "October", "--confirm-scales")
    assert "surveymonkey export, 6 complete responses" in output
    survey = Survey.objects.get(slug="monkey")
    channels = survey.questions.get(text="Which channels do you use?")
    assert channels.kind == Question.MULTIPLE
    assert set(channels.choices.values_list("label", flat=True)) == {"Email", "Chat", "Phone"}
    assert Answer.objects.filter(question=channels).count() == 3 + 6 + 2
    texts = set(survey.questions.values_list("text", flat=True))
    assert not {"IP Address", "Email Address", "First Name", "Last Name"} & texts
    stored = " ".join(str(row) for row in Answer.objects.values_list("text", flat=True))
    assert "Lopez" not in stored and "203.0.113.9" not in stored


def test_text_with_backslashes_tabs_and_line_breaks_is_stored_exactly(tmp_path):
    comment = "C:\\Users\\ana\tneeds admin rights\nto install R\r\nplease"
    path = tmp_path / "text.csv"
    with path.open("w", newline="") as handle:
        import csv

        writer = csv.writer(handle)
        writer.writerow(["Timestamp", "What one thing should IT change?"])
        for index in range(6):
            writer.writerow(
                [
                    f"10/1/2026 9:00:0{index}",
                    comment if index == 0 else f"Comment number {index} is long enough",
                ]
            )
    run(
        path,
        "--survey",
        "text",
        "--mapping",
        str(mapping_file(tmp_path, {"columns": {"What one thing should IT change?": "text"}})),
    )
    assert Answer.objects.filter(text=comment).count() == 1


def upload_file(client, name: str, content: bytes, **fields):
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import make_user

    client.force_login(User.objects.filter(username="manager").first() or make_user("manager", "Managers"))
    return client.post("/import/", {"file": SimpleUploadedFile(name, content), "format": "auto"} | fields)


def test_the_upload_asks_for_a_title_and_derives_the_address_from_it(client):
    """No slug field in sight: the address is made from the title, editable under "Advanced"."""
    from surveys.models import ImportUpload

    page = upload_file(client, "a.csv", b"How satisfied are you?\n4\n", title="IT service 2024")
    body = client.get("/import/").content.decode()
    assert "Survey slug" not in body and "Survey title" in body
    advanced = body.index("<summary>Advanced")
    assert advanced < body.index('name="slug"') < body.index("</details>", advanced)
    assert page.status_code == 302
    upload = ImportUpload.objects.get()
    assert (upload.slug, upload.title) == ("it-service-2024", "IT service 2024")
    client.post(page["Location"], {"column_0": "rating_5", "action": "import"})
    assert Survey.objects.get(slug="it-service-2024").title == "IT service 2024"


def test_an_address_given_under_advanced_wins_and_an_empty_one_is_refused(client):
    from surveys.models import ImportUpload

    upload_file(client, "a.csv", b"Q\n4\n", title="Anything", slug="Pulse 2")
    assert ImportUpload.objects.get().slug == "pulse-2"
    page = upload_file(client, "a.csv", b"Q\n4\n", title="!!!")
    assert page.status_code == 400 and "Use some letters or digits" in page.content.decode()


def test_the_preview_shows_the_first_rows_as_they_will_be_stored(client):
    """Numbers for ratings, the options chosen, "—" where nothing is stored."""
    text = (
        "Timestamp,IT is helpful,Which tools do you use?,Department\n"
        "2026-10-01T09:00:00Z,Strongly agree,Email;Chat,Finance\n"
        "2026-10-02T09:00:00Z,,Chat,\n"
        "2026-10-03T09:00:00Z,Disagree,Email,Finance\n"
        "2026-10-04T09:00:00Z,Agree,Phone,Finance\n"
    )
    mapping = upload_file(client, "p.csv", text.encode(), title="Preview")["Location"]
    form = client.get(mapping).context["form"]
    assert form.fields["column_1"].initial == "rating"
    fields = {
        name: field.initial for name, field in form.fields.items() if name.startswith(("column_", "scale_"))
    }
    page = client.post(mapping, fields | {"column_2": "multiple", "scale_0_confirm": "on", "action": "check"})
    lines = {line.header: line.values for line in page.context["preview"]}
    assert lines["When it was answered"][:2] == ["2026-10-01 09:00", "2026-10-02 09:00"]
    assert lines["Department"][:2] == ["Finance", "—"]
    assert lines["IT is helpful"] == ["5", "—", "2", "4"]
    assert lines["Which tools do you use?"][:2] == ["Email; Chat", "Chat"]


def wide_export(columns: int = 60) -> bytes:
    """A 60-column export: ratings, choices, comments and metadata, like a real one."""
    headers = ["Id", "Start time", "Email"]
    headers += [f"Statement {i}" for i in range(40)] + [f"Choice {i}" for i in range(10)]
    headers += [f"Comment {i}" for i in range(columns - len(headers))]
    rows = []
    for r in range(8):
        row = [str(r + 1), "2026-10-01T09:00:00Z", f"p{r}@example.org"]
        row += [["Agree", "Disagree", "Strongly agree", "Neutral", "Strongly disagree"][r % 5]] * 40
        row += [["Laptop", "Desktop"][r % 2]] * 10
        row += [f"A comment number {r} that is long enough to be free text and not a choice"] * (columns - 53)
        rows.append(row)
    return ("\n".join(",".join(row) for row in [headers, *rows]) + "\n").encode()


def test_a_wide_export_is_grouped_into_a_few_blocks_each_column_still_changeable(client):
    mapping = upload_file(client, "wide.csv", wide_export(), title="Wide")["Location"]
    page = client.get(mapping)
    groups = page.context["groups"]
    assert len(groups) <= 6, [g["kind"] for g in groups]
    assert sum(len(g["columns"]) for g in groups) == 60
    assert page.content.decode().count("column-group") == len(groups)
    ratings = next(g for g in groups if g["kind"] == "rating")
    assert len(ratings["columns"]) == 40 and len(page.context["scale_blocks"]) == 1


def test_one_decision_changes_a_whole_group_and_a_column_can_still_differ(client):
    mapping = upload_file(client, "wide.csv", wide_export(), title="Wide")["Location"]
    form = client.get(mapping).context["form"]
    fields = {name: field.initial for name, field in form.fields.items() if name.startswith("column_")}
    choices = [i for i, h in enumerate(form.headers) if h.startswith("Choice")]
    page = client.post(mapping, fields | {"group_single": "text", "action": "check"})
    mapped = page.context["form"].mapping()
    assert {mapped[f"Choice {i}"] for i in range(10)} == {"text"}
    assert page.context["form"]["group_single"].value() == ""  # applied, then cleared
    fields = {name: page.context["form"][name].value() for name in fields}
    fields[f"column_{choices[0]}"] = "single"
    again = client.post(mapping, fields | {"action": "check"}).context["form"].mapping()
    assert again["Choice 0"] == "single" and again["Choice 1"] == "text"

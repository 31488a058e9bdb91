"""Hostile uploads: each is refused with one specific line naming the row (and column)
where there is one, stores nothing, answers 400 on the page and exits non-zero (no
traceback) from the command. Files are generated small, in tmp_path."""

import functools
import io
import os
import subprocess
import sys
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from surveys.models import ImportUpload, Response, Survey
from tests.factories import make_user

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def xlsx(sheet_xml: str | None = None, dimension: str | None = None) -> bytes:
    """A small real workbook, with its sheet's XML replaced or its dimension rewritten."""
    book = Workbook()
    book.active.append(["Timestamp", "IT is quick"])
    book.active.append(["2026-10-01 09:00:00", 4])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                if sheet_xml is not None:
                    content = sheet_xml.encode()
                if dimension is not None:
                    content = content.replace(
                        b'<dimension ref="A1:B2" />', f'<dimension ref="{dimension}" />'.encode()
                    )
            target.writestr(name, content)
    return out.getvalue()


SHEET = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</worksheet>'
CELL = '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{}</t></is></c></row></sheetData>'
XXE = '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + SHEET.format(
    CELL.format("&x;")
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
    + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    + "]>"
    + SHEET.format(CELL.format("&j;"))
)

HOSTILE = {
    "sheet dimension A1:XFD1048576": (
        xlsx(dimension="A1:XFD1048576"),
        "The Excel sheet declares 1,048,576 rows × 16,384 columns",
    ),
    "10,000 columns": (
        ",".join(f"Q{i}" for i in range(10_000)).encode() + b"\n" + b"1," * 9999 + b"1\n",
        "Row 1: 10,000 columns; at most 2,000",
    ),
    "bad UTF-8 after a BOM": (
        b"\xef\xbb\xbfTimestamp,Comment\n10/1/2026 9:00:00,fine\n10/1/2026 9:00:01,caf\xe9\n",
        "Row 3: the file starts as UTF-8 text but this row is not UTF-8",
    ),
    "malformed XML in an XLSX": (
        xlsx(sheet_xml=SHEET.format("<sheetData><row r=")),
        "The Excel file cannot be read",
    ),
    "XML external entity": (xlsx(sheet_xml=XXE), "contains XML entities or a document type"),
    "billion laughs": (xlsx(sheet_xml=LAUGHS), "contains XML entities or a document type"),
    "unterminated quote": (
        b"Timestamp,Comment\n10/1/2026 9:00:00,fine\n"
        b'10/1/2026 9:00:01,"never closed\n10/1/2026 9:00:02,lost\n',
        "Row 3: a quote opened in this row is never closed",
    ),
    "NUL byte in a cell": (
        b"Timestamp,Comment\n10/1/2026 9:00:00,fine\n10/1/2026 9:00:01,nul\x00here\n",
        "Row 3, column 'Comment': a NUL character",
    ),
    "a zip member that unpacks to gigabytes": (b"", "unpacks to"),  # built below: too big to keep here
}


@functools.cache
def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        target.writestr("[Content_Types].xml", "<Types/>")
        with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(600):
                member.write(chunk)
    return out.getvalue()


def hostile(case: str) -> tuple[bytes, str]:
    content, message = HOSTILE[case]
    if case == "a zip member that unpacks to gigabytes":
        content = _zip_bomb()
    return content, message


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_command_refuses_each_hostile_file_in_one_line(tmp_path, case):
    content, message = hostile(case)
    path = tmp_path / ("hostile.xlsx" if content[:2] == b"PK" else "hostile.csv")
    path.write_bytes(content)
    with pytest.raises(CommandError) as refused:
        call_command("import_responses", str(path), "--survey", "hostile", stdout=StringIO())
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)
    assert not Survey.objects.filter(slug="hostile").exists() and Response.objects.count() == 0


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_upload_page_refuses_each_hostile_file_with_400(client, case):
    content, message = hostile(case)
    client.force_login(make_user("manager", "Managers"))
    page = client.post(
        "/import/",
        {"file": SimpleUploadedFile("hostile.csv", content), "title": "hostile", "format": "auto"},
    )
    assert page.status_code == 400
    assert message.replace("'", "&#x27;") in page.content.decode()
    assert not ImportUpload.objects.exists() and not Survey.objects.filter(slug="hostile").exists()


def test_openpyxl_parses_through_defusedxml():
    """The XML defences above come from defusedxml, which openpyxl uses when installed."""
    import openpyxl

    assert openpyxl.DEFUSEDXML is True


def test_the_command_exits_non_zero_with_one_line_and_no_traceback(tmp_path):
    path = tmp_path / "columns.csv"
    path.write_bytes(HOSTILE["10,000 columns"][0])
    done = subprocess.run(
        [sys.executable, "manage.py", "import_responses", str(path), "--survey", "hostile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "CommandError: Row 1: 10,000 columns; at most 2,000 can be imported."
    ]


def test_fifty_megabytes_of_empty_cells_stop_at_the_cell_limit_before_reading_on(settings, tmp_path):
    """The cell limit is checked as rows arrive (here lowered, so the file stays small)."""
    settings.UPLOAD_MAX_CELLS = 10_000
    path = tmp_path / "empty.csv"
    path.write_bytes(b",".join(b"Q%d" % i for i in range(100)) + b"\n" + (b"," * 99 + b"\n") * 1000)
    with pytest.raises(
        CommandError, match=r"Row 101: the file holds more than 1,000,000 rows or 10,000 cells"
    ):
        call_command("import_responses", str(path), "--survey", "empty", stdout=StringIO())


def test_shift_jis_text_is_detected_and_read(tmp_path):
    text = "タイムスタンプ,ITの対応は早い,部署\n" + "".join(
        f"2026-10-01 09:00:0{i},{i % 5 + 1},経理部\n" for i in range(6)
    )
    path = tmp_path / "sjis.csv"
    path.write_bytes(text.encode("shift_jis"))
    call_command(
        "import_responses",
        str(path),
        "--survey",
        "sjis",
        "--mapping",
        str(
            _mapping(
                tmp_path, {"タイムスタンプ": "timestamp", "部署": "department"}, {"ITの対応は早い": [1, 5]}
            )
        ),
        stdout=StringIO(),
    )
    survey = Survey.objects.get(slug="sjis")
    assert list(survey.questions.values_list("text", flat=True)) == ["ITの対応は早い"]
    assert Response.objects.filter(department__name="経理部").count() == 6


def _mapping(tmp_path: Path, columns: dict[str, str], ends: dict | None = None) -> Path:
    import json

    path = tmp_path / "mapping.json"
    scales = {header: {"low": low, "high": high} for header, (low, high) in (ends or {}).items()}
    path.write_text(json.dumps({"columns": columns, "scales": scales}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "encoding"),
    [
        ("carpentries-longterm-2020-other-no-open.csv", "utf-8"),
        ("jupyter-2016-education-responses.csv", "utf-8"),
        ("touchpoints-cx-responses-bom.csv", "utf-8-sig"),
        ("uva-hotdog-fa24-msforms.csv", "cp1252"),
    ],
)
def test_the_real_fixtures_keep_their_encodings(name, encoding):
    """Detection does not second-guess what the fixtures were read as before."""
    from surveys.imports import read_export

    table = read_export((Path(__file__).parent / "fixtures" / name).read_bytes())
    assert table.encoding == encoding


UNDER_A_MEMORY_LIMIT = """
import os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (500 * 1024 * 1024, 500 * 1024 * 1024))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perception.settings")
import django
django.setup()
from surveys.imports import ImportProblem, read_export
from tests.surveys.test_hostile_imports import HOSTILE, hostile
cases = {case: hostile(case)[0] for case in sorted(HOSTILE)}
cases["50 MB of empty cells"] = (b"," * 1999 + b"\\n") * 25_000
for case, content in cases.items():
    try:
        read_export(content)
        print(case, "=> read")
    except ImportProblem as problem:
        print(case, "=>", problem)
"""


def test_every_hostile_file_is_refused_within_500_mb_of_address_space():
    """Before, the XLSX bomb and the 10,000 columns took the worker down."""
    done = subprocess.run(
        [sys.executable, "-c", UNDER_A_MEMORY_LIMIT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"DEBUG": "1"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = dict(line.split(" => ", 1) for line in done.stdout.splitlines())
    for case in HOSTILE:
        assert HOSTILE[case][1] in lines[case]
    assert "more than 1,000,000 rows or 5,000,000 cells" in lines["50 MB of empty cells"]

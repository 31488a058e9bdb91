"""Service metrics from the help desk: validated whole, imported all or nothing."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from reports.models import ServiceMetric
from tests.factories import make_user

pytestmark = pytest.mark.django_db

GOOD = (
    "month,metric,value,unit\n2026-09,First-contact resolution,65,%\n2026-10,First-contact resolution,71,%\n"
)


def test_a_valid_file_imports_and_a_second_import_updates(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text(GOOD)
    call_command("import_service_metrics", str(path))
    path.write_text("month,metric,value,unit\n2026-10,First-contact resolution,72.5,%\n")
    call_command("import_service_metrics", str(path))
    assert ServiceMetric.objects.get(month=date(2026, 10, 1)).value == 72.5
    assert ServiceMetric.objects.count() == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + "2026-13,Backlog,10,\n", "Row 4, column month: '2026-13' is not a month as YYYY-MM."),
        (GOOD + "October,Backlog,10,\n", "Row 4, column month: 'October' is not a month as YYYY-MM."),
        (GOOD + "2026-10,Backlog,lots,\n", "Row 4, column value: 'lots' is not a number."),
        (
            GOOD + "2026-10,first-contact resolution,70,%\n",
            "Row 4: first-contact resolution for 2026-10 is already on row 3.",
        ),
        ("month,metric,value\n2026-10,Backlog,1\n", "missing: unit"),
        ("month,metric,value,unit\n", "The file has a header but no rows."),
        (
            GOOD + "2026-10," + "m" * 121 + ",1,\n",
            "Row 4, column metric: at most 120 characters (this name has 121).",
        ),
        (GOOD + "2026-10,Backlog,1\x00,\n", "Row 4, column 'value': a NUL character"),
        (
            GOOD + '2026-10,"Backlog,1,\n2026-11,Queue,2,\n',
            "Row 4: a quote opened in this row is never closed",
        ),
    ],
)
def test_a_bad_file_is_refused_whole_naming_the_row(tmp_path, text, message):
    path = tmp_path / "metrics.csv"
    path.write_text(text)
    with pytest.raises(CommandError) as raised:
        call_command("import_service_metrics", str(path))
    assert message in str(raised.value) and "Nothing was imported." in str(raised.value)
    assert ServiceMetric.objects.count() == 0


def test_the_upload_form_shows_the_error_and_imports_nothing(client):
    client.force_login(make_user("manager", "Managers"))
    bad = SimpleUploadedFile("m.csv", (GOOD + "2026-10,Backlog,n/a,\n").encode(), content_type="text/csv")
    page = client.post(reverse("reports:service_metrics"), {"file": bad})
    assert page.status_code == 400
    assert (
        "Row 4, column value: &#x27;n/a&#x27; is not a number. Nothing was imported." in page.content.decode()
    )
    assert ServiceMetric.objects.count() == 0
    good = SimpleUploadedFile("m.csv", GOOD.encode(), content_type="text/csv")
    assert client.post(reverse("reports:service_metrics"), {"file": good}).status_code == 302
    assert ServiceMetric.objects.count() == 2


def test_a_missing_file_is_one_readable_line(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_service_metrics", str(tmp_path / "nope.csv"))

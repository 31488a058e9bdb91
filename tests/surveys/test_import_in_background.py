"""Large imports run as a background task with a status page; abandoned uploads go."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from surveys import tasks
from surveys.models import Answer, ImportUpload, Response, Survey, Wave
from tests.factories import make_survey, make_user

pytestmark = pytest.mark.django_db
CSV = "Timestamp,IT is helpful,Department\n" + "".join(
    f"10/1/2026 9:00:0{i},{i % 5 + 1},Finance\n" for i in range(6)
)
COLUMNS = {"column_0": "timestamp", "column_1": "rating_5", "column_2": "department"}


@pytest.fixture
def manager(client):
    client.force_login(make_user("manager", "Managers"))
    return client


def upload(client, text: str = CSV, **fields) -> str:
    page = client.post(
        "/import/",
        {"file": SimpleUploadedFile("big.csv", text.encode()), "title": "pulse", "format": "auto"} | fields,
    )
    assert page.status_code == 302, page.content.decode()[:500]
    return page["Location"]


def test_a_large_upload_is_imported_by_a_task_and_its_page_says_so(manager, settings):
    """Above IMPORT_BACKGROUND_BYTES the page hands off at once to the status page."""
    settings.IMPORT_BACKGROUND_BYTES = 10
    mapping_url = upload(manager)
    handed_off = manager.post(mapping_url, COLUMNS | {"action": "import"})
    assert handed_off.status_code == 302 and handed_off["Location"].endswith("/status/")
    status = manager.get(handed_off["Location"])
    assert status.status_code == 200
    assert "Imported 6 responses as wave" in status.content.decode()
    assert 'http-equiv="refresh"' not in status.content.decode()
    assert Answer.objects.filter(question__survey__slug="pulse").count() == 6
    assert bytes(ImportUpload.objects.get().data) == b""  # the file is not kept once imported
    assert manager.get(mapping_url)["Location"] == handed_off["Location"]


def test_a_failed_background_import_stores_nothing_and_shows_the_error(manager, settings):
    settings.IMPORT_BACKGROUND_BYTES = 10
    survey = make_survey(slug="pulse")
    survey.owners.add(User.objects.get(username="manager"))
    Wave.objects.create(survey=survey, label="Taken", opens=timezone.now(), closes=timezone.now())
    mapping_url = upload(manager, wave="Taken")
    status = manager.get(manager.post(mapping_url, COLUMNS | {"action": "import"})["Location"])
    body = status.content.decode()
    assert "Nothing was imported" in body and "already has a wave called &#x27;Taken&#x27;" in body
    assert Response.objects.count() == 0 and ImportUpload.objects.get().status == ImportUpload.FAILED
    # The file is kept, so the manager can fix the mapping and import again.
    assert manager.get(mapping_url).status_code == 200


def test_a_queued_import_page_reloads_itself_without_javascript(manager):
    owner = User.objects.get(username="manager")
    queued = ImportUpload.objects.create(
        data=CSV.encode(), filename="big.csv", slug="pulse", created_by=owner, status=ImportUpload.QUEUED
    )
    body = manager.get(f"/import/{queued.pk}/status/").content.decode()
    assert '<meta http-equiv="refresh" content="3">' in body and "<script>" not in body
    assert "Waiting for a worker" in body


def test_a_task_delivered_twice_imports_once():
    owner = make_user("owner", "Managers")
    queued = ImportUpload.objects.create(
        data=CSV.encode(),
        filename="big.csv",
        slug="pulse",
        created_by=owner,
        status=ImportUpload.QUEUED,
        columns={"Timestamp": "timestamp", "IT is helpful": "rating_5", "Department": "department"},
    )
    tasks.import_upload.call(queued.pk)
    tasks.import_upload.call(queued.pk)
    assert Survey.objects.get(slug="pulse").waves.count() == 1
    assert Response.objects.count() == 6


def test_prune_uploads_deletes_what_was_left_for_a_day_and_spares_running_imports():
    owner = make_user("owner", "Managers")
    day_ago = timezone.now() - timedelta(days=1, minutes=1)
    old = {"data": b"x", "filename": "a.csv", "slug": "a", "created_by": owner, "created": day_ago}
    ImportUpload.objects.create(**old)
    ImportUpload.objects.create(**old | {"status": ImportUpload.DONE})
    running = ImportUpload.objects.create(**old | {"status": ImportUpload.RUNNING})
    fresh = ImportUpload.objects.create(**old | {"created": timezone.now()})
    out = StringIO()
    call_command("prune_uploads", stdout=out)
    assert "Deleted 2 uploads" in out.getvalue()
    assert set(ImportUpload.objects.all()) == {running, fresh}


def test_uploading_prunes_abandoned_uploads_too(manager):
    owner = User.objects.get(username="manager")
    ImportUpload.objects.create(
        data=b"x", filename="a.csv", slug="a", created_by=owner, created=timezone.now() - timedelta(days=2)
    )
    upload(manager)
    assert ImportUpload.objects.count() == 1


def test_an_upload_that_no_longer_reads_is_a_400_not_a_500(manager, settings):
    mapping_url = upload(manager)
    settings.UPLOAD_MAX_COLUMNS = 2
    page = manager.get(mapping_url)
    assert page.status_code == 400
    assert "Row 1: 3 columns; at most 2 can be imported." in page.content.decode()
    assert not ImportUpload.objects.exists()


def test_an_import_has_its_wave_published_by_the_publishing_task_not_by_the_first_reader(
    manager, settings, django_capture_on_commit_callbacks
):
    """Once an import commits, the publishing task (run at once in tests) publishes the
    new wave, so no page request has to publish a large import; a failed import asks for
    nothing."""
    from reports.models import Publication

    settings.IMPORT_BACKGROUND_BYTES = 10
    mapping_url = upload(manager)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        manager.post(mapping_url, COLUMNS | {"action": "import"})
    wave = Wave.objects.get(survey__slug="pulse")
    assert len(callbacks) >= 1
    assert Publication.objects.filter(wave=wave, final=True).exists()  # before anyone read a page


def test_a_large_import_refreshes_the_planners_statistics_as_it_commits_on_postgresql(
    manager, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """Stale statistics called a new 100,000-response wave empty and the publishing
    task's first query ran for hours; an import from ANALYZE_FROM_RESPONSES responses
    analyses the tables it filled before the task is asked to publish."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from surveys import services

    monkeypatch.setattr(services, "ANALYZE_FROM_RESPONSES", 5)
    settings.IMPORT_BACKGROUND_BYTES = 10
    mapping_url = upload(manager)
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        manager.post(mapping_url, COLUMNS | {"action": "import"})
    analysed = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor == "postgresql":
        assert len(analysed) == 1 and "surveys_response" in analysed[0]
        first_publishing = next(
            i for i, q in enumerate(queries.captured_queries) if "reports_publication" in q["sql"]
        )
        analysing = next(i for i, q in enumerate(queries.captured_queries) if q["sql"].startswith("ANALYZE"))
        assert analysing < first_publishing
    else:
        assert analysed == []  # SQLite keeps no statistics unless asked; nothing to refresh

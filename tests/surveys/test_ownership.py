"""A manager changes only the surveys they own or that were shared with them."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from surveys.models import Survey
from tests.factories import make_survey, make_user

pytestmark = pytest.mark.django_db

CSV = b"How satisfied are you?\n4\n5\n3\n"


def upload(client, slug: str):
    return client.post(
        "/import/", {"file": SimpleUploadedFile("export.csv", CSV), "title": slug, "format": "auto"}
    )


def test_a_manager_cannot_import_into_a_survey_owned_by_others(client):
    survey = make_survey("pulse")
    survey.owners.add(make_user("owner", "Managers"))
    client.force_login(make_user("other", "Managers"))
    page = upload(client, "pulse")
    assert page.status_code == 400
    assert "belongs to other managers" in page.content.decode()
    assert not survey.waves.exists()


def test_the_owner_and_a_manager_it_is_shared_with_may_import(client):
    survey = make_survey("pulse")
    owner, colleague = make_user("owner", "Managers"), make_user("colleague", "Managers")
    survey.owners.add(owner, colleague)
    for person in (owner, colleague):
        client.force_login(person)
        assert upload(client, "pulse").status_code == 302


def test_a_survey_created_by_an_import_is_owned_by_the_manager_who_imported_it(client):
    manager = make_user("manager", "Managers")
    client.force_login(manager)
    mapping = upload(client, "brand-new")
    assert mapping.status_code == 302
    done = client.post(mapping["Location"], {"column_0": "rating_5", "action": "import"})
    assert done.status_code == 302, done.content.decode()[:2000]
    assert list(Survey.objects.get(slug="brand-new").owners.all()) == [manager]
    assert list(Survey.objects.managed_by(make_user("viewer", "Viewers"))) == []

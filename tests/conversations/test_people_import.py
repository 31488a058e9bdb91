"""Importing stakeholders from CSV: all rows or none, the same people updated, never doubled."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conversations.models import Person
from conversations.services import PeopleImportError, people_import
from tests.factories import make_departments, make_user

pytestmark = pytest.mark.django_db

HEADER = "name,email,department,role,influence\n"


@pytest.fixture
def departments(db):
    return make_departments("Finance", "Sales")


def test_people_are_added_with_their_departments(departments):
    result = people_import(
        (HEADER + "Ana Diaz,ana@example.org,Finance,CFO,High\nBo Lin,,sales,Sales lead,\n").encode()
    )
    assert (result.created, result.updated) == (2, 0)
    ana = Person.objects.get(name="Ana Diaz")
    assert (ana.email, ana.department.name, ana.role, ana.influence) == (
        "ana@example.org",
        "Finance",
        "CFO",
        "high",
    )
    assert Person.objects.get(name="Bo Lin").influence == Person.MEDIUM


def test_the_same_email_again_updates_the_person_instead_of_adding_another(departments):
    Person.objects.create(name="Ana", email="ana@example.org", role="Accountant")
    result = people_import((HEADER + "Ana Diaz,ANA@example.org,Sales,CFO,low\n").encode())
    assert (result.created, result.updated) == (0, 1)
    ana = Person.objects.get()
    assert (ana.name, ana.role, ana.department.name, ana.influence) == ("Ana Diaz", "CFO", "Sales", "low")


def test_importing_the_same_file_twice_changes_nothing_the_second_time(departments):
    data = (HEADER + "Ana Diaz,ana@example.org,Finance,CFO,High\nBo Lin,,Sales,,\n").encode()
    people_import(data)
    assert people_import(data).updated == 2
    assert Person.objects.count() == 2


def test_a_title_column_is_read_as_the_role(departments):
    people_import(b"name,title\nAna Diaz,Head of Finance\n")
    assert Person.objects.get().role == "Head of Finance"


def test_a_column_left_out_keeps_what_the_log_holds(departments):
    Person.objects.create(name="Ana", email="ana@example.org", role="CFO", department=departments[0])
    people_import(b"name,email\nAna Diaz,ana@example.org\n")
    ana = Person.objects.get()
    assert (ana.name, ana.role, ana.department) == ("Ana Diaz", "CFO", departments[0])


@pytest.mark.parametrize(
    "rows,problem",
    [
        ("Ana,ana@example.org,Finance,,\n,bo@example.org,,,\n", "Row 3, column name"),
        ("Ana,not-an-address,Finance,,\n", "Row 2, column email"),
        ("Ana,ana@example.org,Finance,,\nBo,bo@example.org,Marketing,,\n", "Row 3, column department"),
        ("Ana,ana@example.org,,,enormous\n", "Row 2, column influence"),
        ("Ana,ana@example.org,,,\nAnn,ANA@example.org,,,\n", "Row 3, column email"),
        ("Ana,ana@example.org,,,\nBo,bo@example.org,,,,extra\n", "Row 3"),
    ],
)
def test_a_file_with_any_bad_row_imports_nothing_and_names_row_and_column(departments, rows, problem):
    with pytest.raises(PeopleImportError) as refused:
        people_import((HEADER + rows).encode())
    assert str(refused.value).startswith(problem)
    assert not Person.objects.exists()


def test_an_unknown_department_is_reported_not_created(departments):
    with pytest.raises(PeopleImportError, match="no department called “Marketing”"):
        people_import((HEADER + "Ana,ana@example.org,Marketing,,\n").encode())
    assert not Person.objects.exists()


def test_a_file_without_a_name_column_is_refused():
    with pytest.raises(PeopleImportError, match="missing: name"):
        people_import(b"email\nana@example.org\n")


def test_cells_that_look_like_formulas_are_kept_as_text(departments):
    people_import((HEADER + '"=HYPERLINK(""http://evil"")",,,@SUM(A1),\n').encode())
    person = Person.objects.get()
    assert person.name == '=HYPERLINK("http://evil")' and person.role == "@SUM(A1)"


def test_files_are_read_by_the_shared_upload_reader_within_its_limits(departments, settings):
    settings.UPLOAD_MAX_ROWS = 2
    with pytest.raises(PeopleImportError, match="Row 3"):
        people_import((HEADER + "A,,,,\nB,,,,\nC,,,,\n").encode())
    people_import("name,department\nJosé Núñez,Finance\n".encode("cp1252"))
    assert Person.objects.get().name == "José Núñez"


def _upload(client, text: str):
    return client.post(
        reverse("conversations:people_import"),
        {"file": SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")},
    )


def test_the_import_page_names_the_row_and_column_and_imports_nothing(client, departments):
    client.force_login(make_user("lis", "Listeners"))
    answer = _upload(client, HEADER + "Ana,ana@example.org,Finance,,\nBo,bo@,Sales,,\n")
    assert answer.status_code == 400
    assert "Row 3, column email" in answer.content.decode()
    assert not Person.objects.exists()
    done = _upload(client, HEADER + "Ana,ana@example.org,Finance,,\n")
    assert done.status_code == 302 and Person.objects.count() == 1


def test_the_import_page_needs_the_log_conversations_permission(client):
    url = reverse("conversations:people_import")
    for role in ["Viewers", "Managers", "Administrators"]:
        client.force_login(make_user(role.lower(), role))
        assert client.get(url).status_code == 403, role
    client.force_login(make_user("lis", "Listeners"))
    assert client.get(url).status_code == 200

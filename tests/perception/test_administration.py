"""The Administration pages: staff and roles, departments, site settings."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from perception.models import Department, SiteSettings
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    ("administration:index", ()),
    ("administration:staff", ()),
    ("administration:staff_invite", ()),
    ("administration:departments", ()),
    ("administration:department_new", ()),
    ("administration:site_settings", ()),
]


def sign_in(client, username: str, password: str = "a-long-test-password") -> bool:
    """Sign in through the real sign-in page (throttling included)."""
    client.post(reverse("login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session


@pytest.fixture
def administrator(db):
    return make_user("ada", "Administrators")


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


# -- Who may open the pages --------------------------------------------------------------


@pytest.mark.parametrize("name,args", ADMIN_PAGES)
def test_every_administration_page_needs_the_administer_permission(client, name, args):
    """Signed out: to the sign-in page; a viewer, listener or manager: 403; an administrator: the page."""
    url = reverse(name, args=args)
    assert client.get(url)["Location"].startswith(reverse("login"))
    for role in ["Viewers", "Listeners", "Managers"]:
        client.force_login(make_user(role.lower(), role))
        assert client.get(url).status_code == 403, role
    client.force_login(make_user("ada", "Administrators"))
    assert client.get(url).status_code == 200


def test_superusers_may_administer_without_the_role(client):
    client.force_login(User.objects.create_superuser("root", "root@example.org", "a-long-test-password"))
    assert client.get(reverse("administration:index")).status_code == 200


def test_the_menu_shows_administration_to_administrators_only(client, admin_client):
    assert reverse("administration:index") in admin_client.get(reverse("reports:home")).content.decode()
    client.force_login(make_user("val", "Viewers"))
    assert reverse("administration:index") not in client.get(reverse("reports:home")).content.decode()


# -- Inviting staff ------------------------------------------------------------------------


def _invite(client, email="new.person@example.org", roles=("Managers",), name="Noor Haddad"):
    from django.contrib.auth.models import Group

    ids = [Group.objects.get(name=role).pk for role in roles]
    return client.post(reverse("administration:staff_invite"), {"email": email, "name": name, "roles": ids})


def test_an_invited_person_sets_a_password_from_the_email_and_signs_in_with_their_role(client, admin_client):
    answer = _invite(admin_client)
    assert answer.status_code == 302
    invited = User.objects.get(email="new.person@example.org")
    assert not invited.has_usable_password()
    assert list(invited.groups.values_list("name", flat=True)) == ["Managers"]
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["new.person@example.org"]
    assert "your Perception account" in sent.subject
    assert "Managers" in sent.body and "Managers" in sent.alternatives[0][0]
    link = re.search(r"http://\S+/accounts/password/\S+/", sent.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    client.logout()
    form_page = client.get("/" + path, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "chosen-by-noor-2026", "new_password2": "chosen-by-noor-2026"},
    )
    assert done["Location"] == reverse("password_reset_complete")

    assert sign_in(client, "new.person@example.org", "chosen-by-noor-2026")
    assert client.get(reverse("surveys:import_upload")).status_code == 200  # a manager's page
    assert client.get(reverse("administration:index")).status_code == 403
    client.logout()
    again = client.get("/" + path, follow=True)
    assert not again.context["validlink"], "the link works once"


def test_an_invitation_can_be_sent_again_until_a_password_is_set(client, admin_client):
    _invite(admin_client)
    invited = User.objects.get(email="new.person@example.org")
    again = admin_client.post(reverse("administration:staff_reinvite", args=[invited.pk]), follow=True)
    assert "A new invitation was sent" in again.content.decode()
    assert len(mail.outbox) == 2 and "Managers" in mail.outbox[1].body
    invited.set_password("chosen-by-noor-2026")
    invited.save()
    refused = admin_client.post(reverse("administration:staff_reinvite", args=[invited.pk]), follow=True)
    assert "already has a password" in refused.content.decode() and len(mail.outbox) == 2


def test_an_invitation_form_with_mistakes_says_what_to_fix_and_keeps_what_was_typed(admin_client):
    answer = admin_client.post(
        reverse("administration:staff_invite"), {"email": "not-an-address", "name": "Noor Haddad"}
    )
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "Enter a whole email address" in page and "Choose at least one role." in page
    assert 'value="Noor Haddad"' in page and 'value="not-an-address"' in page
    assert not User.objects.filter(username="not-an-address").exists() and not mail.outbox


def test_inviting_an_address_that_has_an_account_is_refused(admin_client, administrator):
    answer = _invite(admin_client, email=administrator.email.upper())
    assert answer.status_code == 400
    assert "already has an account" in answer.content.decode()
    assert not mail.outbox


def test_when_the_invitation_cannot_be_sent_no_account_is_made(admin_client, settings):
    settings.EMAIL_BACKEND = "tests.reports.failing_backend.EmailBackend"
    answer = _invite(admin_client)
    assert answer.status_code == 400
    assert "could not be sent" in answer.content.decode()
    assert not User.objects.filter(email="new.person@example.org").exists()


def test_the_staff_list_shows_roles_and_who_has_not_set_a_password(admin_client):
    _invite(admin_client, roles=("Viewers", "Listeners"))
    page = admin_client.get(reverse("administration:staff")).content.decode()
    assert "new.person@example.org" in page and "Invited, no password yet" in page
    assert "Listeners" in page and "Viewers" in page


def test_the_staff_list_is_paginated(admin_client):
    for number in range(30):
        make_user(f"person{number:02}")
    first = admin_client.get(reverse("administration:staff"))
    assert len(first.context["page"].object_list) == 25
    assert "Page 1 of 2" in first.content.decode()
    assert admin_client.get(reverse("administration:staff") + "?page=2").context["page"].number == 2


# -- Roles and deactivation -----------------------------------------------------------------


def _roles(client, user, *names):
    from django.contrib.auth.models import Group

    ids = [Group.objects.get(name=name).pk for name in names]
    return client.post(reverse("administration:staff_member", args=[user.pk]), {"roles": ids})


def test_an_administrator_changes_someones_roles(admin_client):
    person = make_user("lee", "Viewers")
    assert _roles(admin_client, person, "Listeners", "Managers").status_code == 302
    assert sorted(person.groups.values_list("name", flat=True)) == ["Listeners", "Managers"]
    person = User.objects.get(pk=person.pk)
    assert person.has_perm("perception.log_conversations") and person.has_perm("perception.manage_surveys")


def test_the_last_administrator_cannot_give_up_the_role(admin_client, administrator):
    answer = _roles(admin_client, administrator, "Viewers")
    assert answer.status_code == 400
    assert "is the last administrator" in answer.content.decode()
    assert administrator.groups.filter(name="Administrators").exists()


def test_with_a_second_administrator_the_role_can_be_given_up(admin_client, administrator):
    make_user("grace", "Administrators")
    assert _roles(admin_client, administrator, "Viewers").status_code == 302
    assert not administrator.groups.filter(name="Administrators").exists()


def test_a_deactivated_administrator_does_not_count_as_one(admin_client, administrator):
    other = make_user("grace", "Administrators")
    assert admin_client.post(reverse("administration:staff_active", args=[other.pk])).status_code == 302
    assert "is the last administrator" in _roles(admin_client, administrator, "Viewers").content.decode()


def test_nobody_can_deactivate_themselves(admin_client, administrator):
    answer = admin_client.post(reverse("administration:staff_active", args=[administrator.pk]), follow=True)
    assert "You cannot deactivate your own account" in answer.content.decode()
    administrator.refresh_from_db()
    assert administrator.is_active


def test_a_deactivated_person_cannot_sign_in_and_keeps_their_account(admin_client):
    person = make_user("lee", "Listeners")
    admin_client.post(reverse("administration:staff_active", args=[person.pk]))
    person.refresh_from_db()
    assert not person.is_active and person.groups.filter(name="Listeners").exists()
    assert not sign_in(Client(), "lee")
    admin_client.post(reverse("administration:staff_active", args=[person.pk]), {"active": "1"})
    assert sign_in(Client(), "lee")


def test_deactivating_someone_signs_them_out_at_once(client, admin_client):
    person = make_user("lee", "Viewers")
    theirs = Client()
    theirs.force_login(person)
    assert theirs.get(reverse("reports:home")).status_code == 200
    admin_client.post(reverse("administration:staff_active", args=[person.pk]))
    assert theirs.get(reverse("reports:home"))["Location"].startswith(reverse("login"))


def test_an_administrator_cannot_change_or_deactivate_a_superuser(admin_client):
    root = User.objects.create_superuser("root", "root@example.org", "a-long-test-password")
    answer = admin_client.post(reverse("administration:staff_active", args=[root.pk]), follow=True)
    assert "only a superuser can change their account" in answer.content.decode()
    root.refresh_from_db()
    assert root.is_active
    assert _roles(admin_client, root, "Viewers").status_code == 400


# -- Departments -----------------------------------------------------------------------------


def _department(client, department=None, **data):
    url = (
        reverse("administration:department_edit", args=[department.pk])
        if department
        else reverse("administration:department_new")
    )
    return client.post(url, data)


def test_departments_are_listed_as_an_indented_tree(admin_client):
    finance = Department.objects.create(name="Finance")
    Department.objects.create(name="Payroll", parent=finance)
    Department.objects.create(name="Accounts", parent=finance)
    Department.objects.create(name="Sales")
    answer = admin_client.get(reverse("administration:departments"))
    assert [(d.name, depth) for d, depth in answer.context["tree"]] == [
        ("Finance", 0),
        ("Accounts", 1),
        ("Payroll", 1),
        ("Sales", 0),
    ]
    assert "tree-depth-1" in answer.content.decode()


def test_a_department_is_added_renamed_and_moved(admin_client):
    assert _department(admin_client, name="  Human   Resources ").status_code == 302
    people = Department.objects.get(name="Human Resources")
    corporate = Department.objects.create(name="Corporate")
    assert _department(admin_client, people, name="People", parent=corporate.pk).status_code == 302
    people.refresh_from_db()
    assert people.name == "People" and people.parent == corporate


def test_a_department_cannot_be_moved_under_itself_or_its_own_sub_departments(admin_client):
    top = Department.objects.create(name="Operations")
    middle = Department.objects.create(name="Facilities", parent=top)
    bottom = Department.objects.create(name="Cleaning", parent=middle)
    for parent in (top, bottom, middle):
        answer = _department(admin_client, top, name="Operations", parent=parent.pk)
        assert answer.status_code == 400, parent
        assert "cannot sit under itself" in answer.content.decode()
    top.refresh_from_db()
    assert top.parent is None


def test_two_departments_cannot_share_a_name(admin_client):
    Department.objects.create(name="Finance")
    answer = _department(admin_client, name="finance")
    assert answer.status_code == 400 and "already exists" in answer.content.decode()


def test_a_department_nothing_refers_to_is_deleted(admin_client):
    empty = Department.objects.create(name="Old team")
    assert admin_client.post(reverse("administration:department_delete", args=[empty.pk])).status_code == 302
    assert not Department.objects.filter(name="Old team").exists()


def test_a_department_in_use_is_not_deleted_and_the_page_says_what_uses_it(admin_client):
    from conversations.models import Person

    finance = Department.objects.create(name="Finance")
    Department.objects.create(name="Payroll", parent=finance)
    Person.objects.create(name="Ana", department=finance)
    answer = admin_client.post(reverse("administration:department_delete", args=[finance.pk]), follow=True)
    page = answer.content.decode()
    assert "cannot be deleted" in page and "1 person" in page and "1 sub-department" in page
    assert Department.objects.filter(name="Finance").exists()


def test_a_department_with_survey_responses_is_not_deleted(admin_client):
    from tests.factories import add_response, make_survey, make_wave

    finance = Department.objects.create(name="Finance")
    add_response(make_wave(make_survey()), {}, department=finance)
    admin_client.post(reverse("administration:department_delete", args=[finance.pk]))
    assert Department.objects.filter(name="Finance").exists()


# -- Site settings ---------------------------------------------------------------------------


def _settings(client, **changes):
    data = {"organisation_name": "Acme", "it_team_name": "IT", "contact_line": "", "min_group_size": 5}
    return client.post(reverse("administration:site_settings"), data | changes)


def test_site_settings_are_saved(admin_client):
    assert (
        _settings(admin_client, organisation_name="Acme Ltd", contact_line="help@acme.example").status_code
        == 302
    )
    site = SiteSettings.load()
    assert (site.organisation_name, site.contact_line) == ("Acme Ltd", "help@acme.example")


def test_the_minimum_group_size_cannot_go_below_the_floor(admin_client):
    answer = _settings(admin_client, min_group_size=2, organisation_name="Acme Ltd")
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "cannot be below 3" in page and 'value="Acme Ltd"' in page
    assert SiteSettings.load().min_group_size == 5


def test_the_page_explains_the_promise(admin_client):
    page = admin_client.get(reverse("administration:site_settings")).content.decode()
    assert "Raising it is always allowed" in page and "cannot be lowered" in page


def _publish_a_closed_wave():
    """A closed wave: Finance 12, Sales 7, HR 4 people; published at k=5, which hides HR (4)
    and, so that HR cannot be had by subtraction, Sales too."""
    from reports.disclosure import ensure_published
    from surveys.models import Question
    from tests.factories import add_question, add_response, make_departments, make_survey, make_wave

    survey = make_survey(min_group_size=3)
    rating = add_question(survey, Question.RATING_5, dimension="Reliability")
    wave = make_wave(survey, "closed")
    finance, sales, hr = make_departments("Finance", "Sales", "HR")
    for department, size in ((finance, 12), (sales, 7), (hr, 4)):
        for number in range(size):
            add_response(wave, {rating: 1 + number % 5}, department=department)
    ensure_published(survey)
    return survey, hr


def _hr_shown(hr) -> bool:
    from reports.models import PublishedCell

    latest = PublishedCell.objects.filter(department_id=hr.pk, measure="respondents").order_by(
        "-publication__number"
    )
    return latest.first().shown


def test_lowering_k_after_publication_would_show_a_group_that_was_hidden():
    """Why the form refuses: published at 5, re-cut at 3, HR's four people appear."""
    from reports.disclosure import ensure_published

    survey, hr = _publish_a_closed_wave()
    assert not _hr_shown(hr)
    site = SiteSettings.load()
    site.min_group_size = 3
    site.save()
    ensure_published(survey)
    assert _hr_shown(hr)


def test_once_figures_are_published_k_can_be_raised_but_not_lowered(admin_client):
    _publish_a_closed_wave()
    answer = _settings(admin_client, min_group_size=4)
    assert answer.status_code == 400
    assert "can only be raised" in answer.content.decode()
    assert SiteSettings.load().min_group_size == 5
    assert _settings(admin_client, min_group_size=7).status_code == 302
    assert SiteSettings.load().min_group_size == 7
    assert _settings(admin_client, min_group_size=6).status_code == 400


def test_before_anything_is_published_k_may_be_lowered_to_the_floor(admin_client):
    assert _settings(admin_client, min_group_size=3).status_code == 302
    assert SiteSettings.load().min_group_size == 3

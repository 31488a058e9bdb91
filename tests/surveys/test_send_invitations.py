"""`manage.py send_invitations`: personal links by email, never twice, bad addresses listed."""

import re
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from surveys.models import Invitation, Question, Response, Survey
from tests.factories import add_question, make_survey, make_wave

pytestmark = pytest.mark.django_db


@pytest.fixture
def wave():
    survey = make_survey(anonymity=Survey.ANONYMOUS)
    add_question(survey, Question.RATING_5)
    return make_wave(survey)


def run(*args) -> str:
    out = StringIO()
    call_command("send_invitations", *args, stdout=out)
    return out.getvalue()


def test_sends_one_personal_link_per_address_and_prints_counts(wave, tmp_path):
    emails = tmp_path / "people.csv"
    emails.write_text("name,email\nAna,ana@example.org\nBo,bo@example.org\nBo again,BO@example.org\n")
    output = run("--wave", str(wave.pk), "--emails", str(emails))
    assert "Sent 2; already invited (not sent again) 0; bad addresses 0." in output
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "bo@example.org"]
    assert Invitation.objects.filter(wave=wave, sent_at__isnull=False).count() == 2
    message = mail.outbox[0]
    link = re.search(r"http://\S+/s/i/(\S+)/", message.body)
    assert link, message.body
    assert message.alternatives and "Answer the survey" in message.alternatives[0][0]
    assert "anonymous" in message.body


def test_the_emailed_link_opens_the_survey_once(wave, tmp_path, client):
    emails = tmp_path / "people.txt"
    emails.write_text("ana@example.org\n")
    run("--wave", str(wave.pk), "--emails", str(emails))
    path = re.search(r"http://[^/]+(/s/i/\S+/)", mail.outbox[0].body).group(1)
    question = wave.survey.questions.get()
    assert client.get(path).status_code == 200
    assert client.post(path, {f"q{question.pk}": "4"}).status_code == 302
    assert client.post(path, {f"q{question.pk}": "4"}).status_code == 409
    assert Response.objects.count() == 1


def test_rerunning_sends_nothing_twice(wave, tmp_path):
    emails = tmp_path / "people.txt"
    emails.write_text("ana@example.org\nbo@example.org\n")
    run("--wave", str(wave.pk), "--emails", str(emails))
    mail.outbox.clear()
    output = run("--wave", str(wave.pk), "--emails", str(emails))
    assert "Sent 0; already invited (not sent again) 2" in output
    assert mail.outbox == []


def test_resend_sends_a_fresh_link_only_to_people_who_have_not_answered(wave, tmp_path, client):
    emails = tmp_path / "people.txt"
    emails.write_text("ana@example.org\nbo@example.org\n")
    run("--wave", str(wave.pk), "--emails", str(emails))
    first_links = {m.to[0]: re.search(r"(/s/i/\S+/)", m.body).group(1) for m in mail.outbox}
    question = wave.survey.questions.get()
    client.post(first_links["ana@example.org"], {f"q{question.pk}": "5"})
    mail.outbox.clear()
    output = run("--wave", str(wave.pk), "--emails", str(emails), "--resend")
    assert "Sent 1; already invited (not sent again) 1" in output
    assert [m.to[0] for m in mail.outbox] == ["bo@example.org"]
    new_link = re.search(r"(/s/i/\S+/)", mail.outbox[0].body).group(1)
    assert client.get(first_links["bo@example.org"]).status_code == 404  # the old link stopped working
    assert client.get(new_link).status_code == 200


def test_bad_addresses_are_listed_not_fatal(wave, tmp_path):
    emails = tmp_path / "people.txt"
    emails.write_text("ana@example.org\nnot-an-address\n\nbo@@example\n")
    output = run("--wave", str(wave.pk), "--emails", str(emails))
    assert "Sent 1; already invited (not sent again) 0; bad addresses 2." in output
    assert "not an email address: 'not-an-address'" in output
    assert "not an email address: 'bo@@example'" in output


def test_anonymous_invitations_do_not_store_the_address(wave, tmp_path):
    emails = tmp_path / "people.txt"
    emails.write_text("ana@example.org\n")
    run("--wave", str(wave.pk), "--emails", str(emails))
    assert "ana@example.org" not in str(list(Invitation.objects.values_list()))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wave", "999999", "--emails", "people.txt"], "No wave with id 999999."),
        (["--wave", "{wave}", "--emails", "missing.txt"], "No such file:"),
    ],
)
def test_bad_options_fail_with_one_readable_line(wave, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "people.txt").write_text("ana@example.org\n")
    args = [a.format(wave=wave.pk) for a in args]
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_closed_wave_sends_nothing(tmp_path):
    survey = make_survey()
    closed = make_wave(survey, "closed")
    emails = tmp_path / "people.txt"
    emails.write_text("ana@example.org\n")
    with pytest.raises(CommandError, match="closed on"):
        run("--wave", str(closed.pk), "--emails", str(emails))
    assert mail.outbox == []


def test_a_department_column_is_verified_only_where_people_agrees(wave, tmp_path, client):
    """The response gets the invitation's department; it is verified where People gives
    that person that department, otherwise self-reported (2k), since whoever writes the
    list could pad a department with addresses of their own."""
    from conversations.models import Person
    from perception.models import Department

    finance = Department.objects.create(name="Finance")
    Person.objects.create(name="Ana", email="ana@example.org", department=finance)
    emails = tmp_path / "people.csv"
    emails.write_text("email,department\nana@example.org,finance\ncy@example.org,finance\nbo@example.org,\n")
    run("--wave", str(wave.pk), "--emails", str(emails))
    assert sorted(Invitation.objects.values_list("department", flat=True), key=str) == [
        finance.pk,
        finance.pk,
        None,
    ]
    assert sorted(
        Invitation.objects.filter(department=finance).values_list("department_verified", flat=True)
    ) == [
        False,
        True,
    ]
    question = wave.survey.questions.get()
    for address, verified in (("ana@example.org", True), ("cy@example.org", False)):
        body = next(m for m in mail.outbox if m.to == [address]).body
        client.post(re.search(r"(/s/i/\S+/)", body).group(1), {f"q{question.pk}": "4"})
        response = Response.objects.latest("pk")
        assert response.department == finance and response.department_self_reported is (not verified)


def test_an_unknown_department_sends_nothing(wave, tmp_path):
    emails = tmp_path / "people.csv"
    emails.write_text("email,department\nana@example.org,Nowhere\n")
    with pytest.raises(CommandError, match=r"Unknown departments in .*: Nowhere"):
        run("--wave", str(wave.pk), "--emails", str(emails))
    assert mail.outbox == [] and not Invitation.objects.exists()

"""Invitations and reminders from the pages: who gets them, how often, what a manager can
learn from the counts (how many, never who), and sending that never goes twice."""

import re
import smtplib
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conversations.models import Person
from perception.lib import sealed
from surveys import services
from surveys.models import Invitation, InvitationMessage, Question, Response, Survey, Wave
from tests.factories import add_question, make_departments, make_survey, make_user

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://[^/\s]+(/s/i/[^/\s]+/)")
OPT_OUT = re.compile(r"http://[^/\s]+(/s/o/[^/\s]+/)")


def open_wave(survey: Survey, days: int = 30) -> Wave:
    now = timezone.now()
    return Wave.objects.create(
        survey=survey, label="Now", opens=now - timedelta(days=1), closes=now + timedelta(days=days)
    )


def invite(wave: Wave, *addresses: str, now=None) -> None:
    """Invite and send at once, as the page's task does."""
    now = now or timezone.now()
    services.recipients_invite(wave=wave, recipients=[(a, None) for a in addresses], send_after=now)
    services.invitations_send_due(wave=wave, now=now)


def links() -> dict[str, str]:
    """Each address's personal link, from the emails sent so far (the latest wins)."""
    return {message.to[0]: LINK.search(message.body).group(1) for message in mail.outbox}


def plan(wave: Wave, reminders: int, days: int) -> None:
    message = services.default_message(wave)
    services.invitation_message_save(
        wave=wave, subject=message.subject, body=message.body, reminders=reminders, reminder_days=days
    )


@pytest.fixture
def survey():
    survey = make_survey(anonymity=Survey.ANONYMOUS)
    add_question(survey, Question.RATING_5)
    return survey


def answer(client: Client, path: str, survey: Survey) -> None:
    assert client.post(path, {f"q{survey.questions.get().pk}": "4"}).status_code == 302


# -- Reminders --------------------------------------------------------------------------


def test_a_reminder_goes_only_to_those_who_have_not_answered_nor_opted_out(survey, client):
    wave = open_wave(survey)
    plan(wave, reminders=2, days=3)
    invite(wave, "ana@example.org", "bo@example.org", "cy@example.org")
    sent = links()
    answer(client, sent["ana@example.org"], survey)
    opt_out = OPT_OUT.search(next(m for m in mail.outbox if m.to == ["bo@example.org"]).body).group(1)
    assert client.post(opt_out).status_code == 200
    mail.outbox.clear()
    services.reminders_send_due(wave=wave, now=timezone.now() + timedelta(days=3, minutes=1))
    assert [m.to[0] for m in mail.outbox] == ["cy@example.org"]
    assert mail.outbox[0].subject.startswith("Reminder:")
    # The reminder carries the same personal link, which still works.
    assert LINK.search(mail.outbox[0].body).group(1) == sent["cy@example.org"]


def test_reminders_wait_the_chosen_days_and_stop_at_the_chosen_number(survey):
    wave = open_wave(survey)
    plan(wave, reminders=2, days=4)
    start = timezone.now()
    invite(wave, "cy@example.org", now=start)
    mail.outbox.clear()
    sent_on = []
    for day in range(0, 20):
        moment = start + timedelta(days=day, minutes=1)
        if services.reminders_send_due(wave=wave, now=moment).sent:
            sent_on.append(day)
    assert sent_on == [4, 8]  # two reminders, four days apart, then no more
    assert len(mail.outbox) == 2


def test_one_reminder_means_one(survey):
    wave = open_wave(survey)
    plan(wave, reminders=1, days=1)
    start = timezone.now()
    invite(wave, "cy@example.org", now=start)
    mail.outbox.clear()
    for day in (2, 5, 9):
        services.reminders_send_due(wave=wave, now=start + timedelta(days=day))
    assert len(mail.outbox) == 1


def test_no_reminder_after_the_wave_closes(survey):
    wave = open_wave(survey, days=5)
    plan(wave, reminders=2, days=3)
    start = timezone.now()
    invite(wave, "cy@example.org", now=start)
    mail.outbox.clear()
    assert services.reminders_send_due(wave=wave, now=start + timedelta(days=6)).sent == 0
    call_command("send_due_invitations", stdout=open("/dev/null", "w"))
    assert mail.outbox == []


def test_the_manager_can_send_the_next_reminder_now_and_it_still_counts(survey, client):
    manager = make_user("boss", "Managers")
    survey.owners.add(manager)
    wave = open_wave(survey)
    plan(wave, reminders=1, days=7)
    invite(wave, "ana@example.org", "bo@example.org")
    answer(client, links()["ana@example.org"], survey)
    mail.outbox.clear()
    client.force_login(manager)
    url = reverse("surveys:wave_reminders", args=[survey.slug, wave.pk])
    assert client.post(url, {"action": "send_now"}).status_code == 302
    assert [m.to[0] for m in mail.outbox] == ["bo@example.org"]
    client.post(url, {"action": "send_now"})
    assert len(mail.outbox) == 1  # the one reminder chosen has gone


# -- Opting out --------------------------------------------------------------------------


def test_the_opt_out_link_asks_first_and_a_forged_one_is_refused(survey, client):
    wave = open_wave(survey)
    invite(wave, "ana@example.org")
    path = OPT_OUT.search(mail.outbox[0].body).group(1)
    page = client.get(path)
    assert page.status_code == 200 and "No more reminders?" in page.content.decode()
    assert not Invitation.objects.get().opted_out  # a mail scanner opening the link changes nothing
    client.post(path)
    assert Invitation.objects.get().opted_out
    assert client.get(path[:-3] + "xx/").status_code == 404
    assert client.post("/s/o/1/").status_code == 404
    # The personal link still works after opting out of reminders.
    answer(client, links()["ana@example.org"], survey)


def test_a_scheduled_invitation_is_not_sent_to_someone_who_opted_out(survey):
    wave = open_wave(survey)
    services.recipients_invite(wave=wave, recipients=[("ana@example.org", None)], send_after=timezone.now())
    services.invitation_opt_out(invitation=Invitation.objects.get())
    services.invitations_send_due(wave=wave)
    assert mail.outbox == []


# -- Sending ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sending_runs_send_each_invitation_once():
    survey = make_survey(anonymity=Survey.ANONYMOUS)
    add_question(survey, Question.RATING_5)
    wave = open_wave(survey)
    addresses = [f"person{n}@example.org" for n in range(30)]
    services.recipients_invite(
        wave=wave, recipients=[(a, None) for a in addresses], send_after=timezone.now()
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def run():
        try:
            fresh = Wave.objects.select_related("survey").get(pk=wave.pk)
            barrier.wait(timeout=10)
            outcomes.append(services.invitations_send_due(wave=fresh))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(addresses)
    assert sum(o.sent for o in outcomes) == 30
    assert Invitation.objects.filter(sent_at__isnull=False).count() == 30


class RefusingBackend(EmailBackend):
    """Refuses bounce@… as an SMTP server refuses an unknown mailbox."""

    def send_messages(self, messages):
        for message in messages:
            if message.to[0].startswith("bounce@"):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        return super().send_messages(messages)


def test_an_address_the_mail_server_refuses_counts_as_bounced_and_gets_no_reminder(survey, settings):
    settings.EMAIL_BACKEND = "tests.surveys.test_invitations.RefusingBackend"
    wave = open_wave(survey)
    plan(wave, reminders=1, days=1)
    start = timezone.now()
    invite(wave, "bounce@example.org", "ana@example.org", now=start)
    counts = services.invitation_counts(wave)
    assert (counts.invited, counts.sent, counts.bounced) == (2, 1, 1)
    mail.outbox.clear()
    services.reminders_send_due(wave=wave, now=start + timedelta(days=2))
    assert [m.to[0] for m in mail.outbox] == ["ana@example.org"]


def test_a_scheduled_send_waits_for_its_time_then_the_cron_command_sends_it(survey):
    wave = open_wave(survey)
    later = timezone.now() + timedelta(hours=2)
    services.recipients_invite(wave=wave, recipients=[("ana@example.org", None)], send_after=later)
    call_command("send_due_invitations", stdout=open("/dev/null", "w"))
    assert mail.outbox == []
    Invitation.objects.update(send_after=timezone.now() - timedelta(minutes=1))  # the time has come
    call_command("send_due_invitations", stdout=open("/dev/null", "w"))
    assert [m.to[0] for m in mail.outbox] == ["ana@example.org"]
    call_command("send_due_invitations", stdout=open("/dev/null", "w"))
    assert len(mail.outbox) == 1


# -- Privacy --------------------------------------------------------------------------------


def test_addresses_are_kept_sealed_and_erased_once_the_wave_closes(survey):
    wave = open_wave(survey)
    invite(wave, "ana@example.org")
    stored = " ".join(str(v) for v in Invitation.objects.values_list())
    assert "ana@example.org" not in stored
    assert sealed.unseal(Invitation.objects.get().address_sealed) == "ana@example.org"
    call_command("send_due_invitations", stdout=open("/dev/null", "w"))
    assert Invitation.objects.get().address_sealed  # still open: kept, for reminders
    Wave.objects.filter(pk=wave.pk).update(closes=timezone.now() - timedelta(minutes=1))
    call_command("send_due_invitations", stdout=open("/dev/null", "w"))
    invitation = Invitation.objects.get()
    assert (invitation.address_sealed, invitation.link_sealed) == ("", "")


def test_an_anonymous_wave_shows_counts_only_and_answered_only_as_published(client):
    """The answered count comes from the published figures: it stays put until a whole
    batch of k is published, so one person answering cannot be seen on the page."""
    survey = make_survey(anonymity=Survey.ANONYMOUS)
    add_question(survey, Question.RATING_5)
    manager = make_user("boss", "Managers")
    survey.owners.add(manager)
    wave = open_wave(survey)
    addresses = [f"p{n}@example.org" for n in range(8)]
    invite(wave, *addresses)
    sent = links()
    client.force_login(manager)
    url = reverse("surveys:wave_invitations", args=[survey.slug, wave.pk])

    def page() -> str:
        return client.get(url).content.decode()

    def answered(text: str) -> str:
        return re.search(r"<dt[^>]*>Answered</dt>\s*<dd[^>]*>([^<]*)</dd>", text).group(1).strip()

    before = page()
    assert answered(before) == "not published yet"
    assert "p0@example.org" not in before  # never who
    respondent = Client()
    answer(respondent, sent["p0@example.org"], survey)
    call_command("publish_figures", stdout=open("/dev/null", "w"))
    assert answered(page()) == "not published yet"  # one answer: no change to see
    for address in addresses[1:5]:
        answer(respondent, sent[address], survey)
    call_command("publish_figures", stdout=open("/dev/null", "w"))
    assert answered(page()) == "5"
    answer(respondent, sent["p5@example.org"], survey)
    call_command("publish_figures", stdout=open("/dev/null", "w"))
    assert answered(page()) == "5"  # the sixth waits for a batch of k
    assert "p5@example.org" not in page()


# -- The pages -------------------------------------------------------------------------------


@pytest.fixture
def manager(survey):
    user = make_user("boss", "Managers")
    survey.owners.add(user)
    return user


def new_url(wave: Wave) -> str:
    return reverse("surveys:wave_invitations_new", args=[wave.survey.slug, wave.pk])


def test_a_manager_invites_a_department_from_people_and_it_goes_now(survey, manager, client):
    finance, sales = make_departments("Finance", "Sales")
    Person.objects.create(name="Ana", email="ana@example.org", department=finance)
    Person.objects.create(name="Bo", email="bo@example.org", department=sales)
    Person.objects.create(name="No address", department=finance)
    wave = open_wave(survey)
    client.force_login(manager)
    message = services.default_message(wave)
    page = client.post(
        new_url(wave),
        {
            "departments": [finance.pk],
            "subject": "How are we doing?",
            "body": message.body,
            "when": "now",
            "action": "send",
        },
    )
    assert page.status_code == 302
    assert [m.to[0] for m in mail.outbox] == ["ana@example.org"]
    assert mail.outbox[0].subject == "How are we doing?"
    assert Invitation.objects.get().department == finance  # verified, from People
    counts = client.get(page["Location"]).content.decode()
    assert "Invited 1 person" in counts


def test_influence_narrows_the_chosen_departments(survey, manager, client):
    (finance,) = make_departments("Finance")
    Person.objects.create(name="Ana", email="ana@example.org", department=finance, influence="high")
    Person.objects.create(name="Bo", email="bo@example.org", department=finance, influence="low")
    wave = open_wave(survey)
    client.force_login(manager)
    client.post(
        new_url(wave),
        {
            "departments": [finance.pk],
            "influence": ["high"],
            "subject": "S",
            "body": "Hi {link}",
            "when": "now",
            "action": "send",
        },
    )
    assert [m.to[0] for m in mail.outbox] == ["ana@example.org"]


def test_the_preview_is_the_real_email_with_the_edited_text(survey, manager, client):
    wave = open_wave(survey)
    client.force_login(manager)
    page = client.post(
        new_url(wave),
        {
            "subject": "Tell us <now>",
            "body": "Dear all,\n\n{link}\n\nThanks",
            "addresses": "",
            "action": "preview",
        },
    )
    text = page.content.decode()
    assert "Tell us &lt;now&gt;" in text
    assert "/s/i/example-personal-link/" in text  # the link, as each person will get theirs
    assert "No reminders about this survey, please" in text  # the opt-out the manager cannot remove
    assert mail.outbox == [] and not Invitation.objects.exists()


def test_bad_input_says_what_to_fix_and_keeps_what_was_typed(survey, manager, client):
    wave = open_wave(survey)
    client.force_login(manager)
    page = client.post(
        new_url(wave),
        {
            "addresses": "ana@example.org\nnot-an-address",
            "subject": "S",
            "body": "No placeholder",
            "when": "later",
            "send_at": "",
            "action": "send",
        },
    )
    text = page.content.decode()
    assert page.status_code == 400
    assert "Not email addresses: not-an-address" in text
    assert "Put {link} in the message" in text
    assert "Give the date and time to send at" in text
    assert "ana@example.org\nnot-an-address" in text
    assert not Invitation.objects.exists() and mail.outbox == []


def test_nobody_to_invite_is_a_message_not_an_error(survey, manager, client):
    wave = open_wave(survey)
    client.force_login(manager)
    page = client.post(new_url(wave), {"subject": "S", "body": "{link}", "when": "now", "action": "send"})
    assert page.status_code == 400
    assert "Nobody to invite" in page.content.decode()


def test_scheduling_for_later_sends_nothing_now(survey, manager, client):
    wave = open_wave(survey)
    client.force_login(manager)
    at = timezone.localtime(timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(
        new_url(wave),
        {
            "addresses": "ana@example.org",
            "subject": "S",
            "body": "{link}",
            "when": "later",
            "send_at": at,
            "action": "send",
        },
    )
    assert page.status_code == 302
    assert mail.outbox == []
    assert services.invitation_counts(wave).scheduled == 1


def test_a_manager_who_does_not_own_the_survey_gets_404(survey, client):
    wave = open_wave(survey)
    client.force_login(make_user("other", "Managers"))
    assert client.get(reverse("surveys:wave_invitations", args=[survey.slug, wave.pk])).status_code == 404
    assert client.post(new_url(wave), {"addresses": "a@example.org"}).status_code == 404


def test_a_closed_wave_invites_nobody(survey, manager, client):
    wave = open_wave(survey)
    Wave.objects.filter(pk=wave.pk).update(
        opens=timezone.now() - timedelta(days=9), closes=timezone.now() - timedelta(days=1)
    )
    client.force_login(manager)
    page = client.post(
        new_url(wave),
        {"addresses": "a@example.org", "subject": "S", "body": "{link}", "when": "now", "action": "send"},
    )
    assert page.status_code == 400
    assert not Invitation.objects.exists()
    # Its page offers neither invitations nor a reminder plan, only the counts.
    text = client.get(reverse("surveys:wave_invitations", args=[survey.slug, wave.pk])).content.decode()
    assert "This wave has closed" in text
    assert reverse("surveys:wave_reminders", args=[survey.slug, wave.pk]) not in text


def test_the_reminder_plan_is_saved_and_bad_values_are_refused(survey, manager, client):
    wave = open_wave(survey)
    client.force_login(manager)
    url = reverse("surveys:wave_reminders", args=[survey.slug, wave.pk])
    assert client.post(url, {"reminders": "2", "reminder_days": "0", "action": "save"}).status_code == 400
    assert client.post(url, {"reminders": "2", "reminder_days": "5", "action": "save"}).status_code == 302
    saved = InvitationMessage.objects.get(wave=wave)
    assert (saved.reminders, saved.reminder_days) == (2, 5)


# -- Save and finish later -----------------------------------------------------------------------


def test_a_pseudonymous_link_saves_answers_and_reopens_with_them(client):
    survey = make_survey(anonymity=Survey.PSEUDONYMOUS)
    rating = add_question(survey, Question.RATING_5)
    comment = add_question(survey, Question.TEXT)
    wave = open_wave(survey)
    invite(wave, "ana@example.org")
    path = links()["ana@example.org"]
    saved = client.post(path, {f"q{rating.pk}": "4", f"q{comment.pk}": "Half-written", "action": "save"})
    assert saved.status_code == 200 and "Your answers are saved" in saved.content.decode()
    assert Response.objects.count() == 0  # nothing counted before it is sent
    reopened = Client().get(path).content.decode()
    assert "Half-written" in reopened
    assert f'id="id_q{rating.pk}_3" value="4" checked' in reopened
    Client().post(path, {f"q{rating.pk}": "5", f"q{comment.pk}": "Done", "action": "send"})
    assert Invitation.objects.get().draft == {}  # the draft goes with the submission
    assert Response.objects.get().answers.get(question=rating).number == 5


def test_an_anonymous_link_keeps_no_draft_on_the_server(survey, client):
    wave = open_wave(survey)
    invite(wave, "ana@example.org")
    path = links()["ana@example.org"]
    page = client.get(path).content.decode()
    assert "Save and finish later" not in page and "data-browser-draft" in page
    client.post(path, {f"q{survey.questions.get().pk}": "4", "action": "save"})
    assert Invitation.objects.get().draft == {}


def test_a_long_survey_says_how_many_questions_it_has(client):
    survey = make_survey()
    for _ in range(6):
        add_question(survey, Question.RATING_5)
    open_wave(survey)
    page = client.get(f"/s/{survey.slug}/").content.decode()
    assert 'aria-live="polite"' in page and "6 questions in this survey" in page


def test_the_admin_never_shows_the_sealed_address_link_or_draft(client):
    from django.contrib.auth.models import User

    survey = make_survey(anonymity=Survey.PSEUDONYMOUS)
    rating = add_question(survey, Question.RATING_5)
    wave = open_wave(survey)
    invite(wave, "ana@example.org")
    Client().post(links()["ana@example.org"], {f"q{rating.pk}": "3", "action": "save"})
    invitation = Invitation.objects.get()
    assert invitation.draft  # saved
    client.force_login(User.objects.create_superuser("root", "root@example.org", "a-long-test-password"))
    page = client.get(reverse("admin:surveys_invitation_change", args=[invitation.pk])).content.decode()
    assert invitation.address_sealed not in page and invitation.link_sealed not in page
    assert "address_sealed" not in page and "draft" not in page


def test_the_new_respondent_texts_come_in_the_survey_language(client):
    survey = make_survey(anonymity=Survey.PSEUDONYMOUS, language="es")
    for _ in range(5):
        add_question(survey, Question.RATING_5)
    wave = open_wave(survey)
    invite(wave, "ana@example.org")
    page = client.get(links()["ana@example.org"]).content.decode()
    assert "Guardar y terminar más tarde" in page and "5 preguntas en esta encuesta" in page
    assert "Sin recordatorios sobre esta encuesta" in mail.outbox[0].body
    opt_out = client.get(OPT_OUT.search(mail.outbox[0].body).group(1)).content.decode()
    assert "¿Sin más recordatorios?" in opt_out


def test_a_long_list_is_invited_by_a_task_that_gets_the_addresses_sealed(
    survey, manager, client, settings, monkeypatch
):
    from surveys import tasks

    settings.INVITATIONS_IN_REQUEST = 2
    handed = []
    real = tasks.invite_recipients

    class Recording:
        @staticmethod
        def enqueue(*args):
            handed.append(args)
            return real.enqueue(*args)

    monkeypatch.setattr(tasks, "invite_recipients", Recording)
    wave = open_wave(survey)
    client.force_login(manager)
    addresses = "ana@example.org\nbo@example.org\ncy@example.org"
    page = client.post(
        new_url(wave),
        {"addresses": addresses, "subject": "S", "body": "{link}", "when": "now", "action": "send"},
    )
    assert page.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "bo@example.org", "cy@example.org"]
    assert len(handed) == 1 and "example.org" not in str(handed[0])


def test_the_cron_command_queues_due_reminders(survey):
    wave = open_wave(survey)
    plan(wave, reminders=1, days=2)
    invite(wave, "ana@example.org", now=timezone.now() - timedelta(days=3))
    mail.outbox.clear()
    call_command("send_due_invitations", stdout=open("/dev/null", "w"))
    assert [m.to[0] for m in mail.outbox] == ["ana@example.org"]
    call_command("send_due_invitations", stdout=open("/dev/null", "w"))
    assert len(mail.outbox) == 1

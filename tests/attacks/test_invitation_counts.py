"""ATTACKS on the invitations pages, reminders, re-invites, opt-out links and drafts:
can a manager learn WHO answered?

Each test is an attack that passes only if it works; see tests/attacks/conftest.py."""

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from surveys import services
from surveys.models import Invitation, Question, Survey, Wave
from tests.factories import add_question, make_survey, make_user

pytestmark = pytest.mark.django_db
LINK = re.compile(r"http://[^/\s]+(/s/i/[^/\s]+/)")
OPT_OUT = re.compile(r"http://[^/\s]+(/s/o/[^/\s]+/)")


def setup(client, anonymity):
    survey = make_survey(anonymity=anonymity)
    rating = add_question(survey, Question.RATING_5)
    now = timezone.now()
    wave = Wave.objects.create(
        survey=survey, label="Q4", opens=now - timedelta(days=1), closes=now + timedelta(days=7)
    )
    manager = make_user("boss", "Managers")
    survey.owners.add(manager)
    client.force_login(manager)
    return survey, rating, wave, manager


def invite(client, wave, addresses):
    page = client.post(
        reverse("surveys:wave_invitations_new", args=[wave.survey.slug, wave.pk]),
        {
            "addresses": "\n".join(addresses),
            "subject": "S",
            "body": "Hi {link}",
            "when": "now",
            "action": "send",
        },
        follow=True,
    )
    return page


def answered(client, wave):
    page = client.get(reverse("surveys:wave_invitations", args=[wave.survey.slug, wave.pk]))
    return page.context["counts"].answered


def test_pseudonymous_answered_count_is_live_so_one_invitee_alone_is_identified(client):
    """Pseudonymous promises no identity to the manager, yet "Answered" is live: invite
    one person alone (or add one to a list and watch) and the count goes 0 -> 1."""
    _survey, rating, wave, manager = setup(client, Survey.PSEUDONYMOUS)
    invite(client, wave, ["target@example.org"])
    link = LINK.search(mail.outbox[0].body).group(1)
    before = answered(client, wave)
    client.logout()
    client.post(link, {f"q{rating.pk}": "2"})
    client.force_login(manager)
    assert (before, answered(client, wave)) == (0, 1)


# Defence: anonymous 'answered' is the batched published count
def test_anonymous_answered_count_moves_by_one(client):
    survey, rating, wave, manager = setup(client, Survey.ANONYMOUS)
    k = survey.group_threshold()
    invite(client, wave, [f"p{i}@example.org" for i in range(k)] + ["target@example.org"])
    links = {m.to[0]: LINK.search(m.body).group(1) for m in mail.outbox}
    client.logout()
    for i in range(k):
        client.post(links[f"p{i}@example.org"], {f"q{rating.pk}": "4"})
    client.force_login(manager)
    before = answered(client, wave)
    client.logout()
    client.post(links["target@example.org"], {f"q{rating.pk}": "2"})
    client.force_login(manager)
    after = answered(client, wave)
    assert after is not None and before is not None and after - before == 1


# Defence: a re-invite says 'already' whether or not the person answered
def test_reinvite_message_tells_answered_from_not(client):
    _survey, rating, wave, manager = setup(client, Survey.ANONYMOUS)
    invite(client, wave, ["answered@example.org", "silent@example.org"])
    links = {m.to[0]: LINK.search(m.body).group(1) for m in mail.outbox}
    client.logout()
    client.post(links["answered@example.org"], {f"q{rating.pk}": "2"})
    client.force_login(manager)
    one = [str(m) for m in invite(client, wave, ["answered@example.org"]).context["messages"]]
    two = [str(m) for m in invite(client, wave, ["silent@example.org"]).context["messages"]]
    assert one != two


# Defence: opt-out links are signed; a forged one is 404
def test_forged_opt_out_link_opts_someone_else_out(client):
    _survey, _rating, wave, _manager = setup(client, Survey.ANONYMOUS)
    invite(client, wave, ["victim@example.org"])
    victim = Invitation.objects.get()
    for token in [
        str(victim.pk),
        signing.dumps(victim.pk, key="guess", compress=True),
        signing.dumps(victim.pk, compress=True),
    ]:
        client.post(reverse("surveys:opt_out", args=[token]))
    assert Invitation.objects.get().opted_out


# Defence: anonymous personal links keep no server draft
def test_anonymous_save_for_later_is_stored_on_the_server(client):
    _survey, rating, wave, _manager = setup(client, Survey.ANONYMOUS)
    invite(client, wave, ["target@example.org"])
    link = LINK.search(mail.outbox[0].body).group(1)
    client.logout()
    client.post(link, {f"q{rating.pk}": "1", "action": "save"})
    assert Invitation.objects.get().draft


def test_own_opt_out_link_never_expires_and_reveals_state_after_close(client):
    """Low: the opt-out link is a signed invitation id with no expiry and no salt per
    wave; it keeps answering (200, shows whether opted out) after the wave closed and the
    addresses were erased, so a forwarded email keeps a live handle on the invitation."""
    _survey, _rating, wave, _manager = setup(client, Survey.ANONYMOUS)
    invite(client, wave, ["target@example.org"])
    token = OPT_OUT.search(mail.outbox[0].body).group(1)
    Wave.objects.filter(pk=wave.pk).update(
        opens=timezone.now() - timedelta(days=410), closes=timezone.now() - timedelta(days=400)
    )
    services.invitations_erase_closed()
    client.logout()
    assert client.post(token).status_code == 200
    assert Invitation.objects.get().opted_out

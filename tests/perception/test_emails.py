"""One email helper: every email has the same footer in both parts and the same headers."""

import pytest
from django.core import mail

from perception.lib import emails
from perception.models import SiteSettings
from surveys import invitation_email
from tests.factories import make_survey, make_wave

pytestmark = pytest.mark.django_db


def test_render_adds_the_footer_to_text_and_html():
    SiteSettings.objects.create(organisation_name="Northwind & Co", it_team_name="IT")
    survey = make_survey()
    wave = make_wave(survey)
    email = invitation_email.compose(
        wave=wave, message=invitation_email.default_message(wave), token="t", opt_out="x"
    )
    assert email.text.rstrip().endswith("Northwind & Co · IT")
    assert "Northwind &amp; Co · IT" in email.html  # escaped in HTML, not in text
    assert email.subject == "Northwind & Co: how is IT doing for you? (3 minutes)"


def test_message_carries_the_headers_and_an_inline_image():
    email = emails.Email("Subject", "Text\n", '<img src="cid:inline-image">')
    built = emails.message(email, to=["a@example.org"], inline_png=b"\x89PNG fake")
    assert built.extra_headers["Auto-Submitted"] == "auto-generated"
    raw = built.message().as_string()
    assert "Content-ID: <inline-image>" in raw and "multipart/related" in raw


def test_invitations_are_sent_through_the_helper(tmp_path):
    from django.core.management import call_command

    survey = make_survey()
    wave = make_wave(survey)
    addresses = tmp_path / "staff.txt"
    addresses.write_text("ana@example.org\n")
    call_command("send_invitations", wave=wave.pk, emails=addresses, stdout=open("/dev/null", "w"))
    (sent,) = mail.outbox
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    assert sent.body.rstrip().endswith(emails.footer_text(SiteSettings.load()))

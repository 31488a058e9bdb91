"""Sign-in resists guessing (django-axes), sessions last hours, and pages carry a
Content-Security-Policy that no inline script in our templates needs."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/accounts/login/"


def attempt(client: Client, password: str, address: str = "203.0.113.5"):
    return client.post(LOGIN, {"username": "ana", "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_username_from_that_address_with_a_429_page():
    """Before axes, 100 wrong passwords and then the right one signed in."""
    make_user("ana", "Viewers")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "wrong").status_code == 200
    locked = attempt(client, "wrong")
    assert locked.status_code == 429
    assert "Too many sign-in attempts" in locked.content.decode()
    assert "try again in 15 minutes" in locked.content.decode()
    right = attempt(client, "a-long-test-password")
    assert right.status_code == 429 and "_auth_user_id" not in client.session
    # The same person from elsewhere is not locked out by someone guessing.
    elsewhere = attempt(Client(), "a-long-test-password", address="198.51.100.7")
    assert elsewhere.status_code == 302


@pytest.mark.django_db
def test_the_lock_lifts_after_the_cool_off():
    make_user("ana", "Viewers")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "wrong")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert attempt(client, "a-long-test-password").status_code == 302


@pytest.mark.django_db
def test_the_lock_follows_the_trusted_proxy_address(settings):
    """Behind one proxy, the client is the address it forwards, not the proxy's own."""
    settings.TRUSTED_PROXY_HOPS = 1
    make_user("ana", "Viewers")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            LOGIN,
            {"username": "ana", "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.5",
        )
    other = client.post(
        LOGIN,
        {"username": "ana", "password": "a-long-test-password"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert other.status_code == 302


def test_sessions_last_hours_not_weeks():
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


@pytest.mark.django_db
def test_pages_carry_a_policy_without_inline_scripts(client):
    policy = client.get(LOGIN)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


def test_no_template_has_an_inline_script_or_event_handler():
    """Pages keep working under the policy: scripts come from static/js only."""
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        if "emails" in path.parts:
            continue  # emails are not pages: no policy applies, no script runs
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", text):
            offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert offenders == []

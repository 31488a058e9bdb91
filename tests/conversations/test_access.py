"""Sign-in and the role pages; every route's guard is walked in tests/test_urls.py."""

import pytest
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

VIEW = "Viewers"
LISTEN = "Listeners"


def test_public_survey_pages_need_no_account(client):
    assert client.get("/s/it-service/").status_code in {200, 403, 404, 410}
    assert client.get("/s/it-service/").status_code != 302


def test_signed_in_without_a_role_sees_a_clear_403(client):
    client.force_login(make_user("nobody"))
    page = client.get(reverse("reports:coverage"))
    assert page.status_code == 403
    assert "Your account does not have the role this page needs" in page.content.decode()


def test_login_page_is_styled_and_signs_in(client):
    make_user("ana", VIEW)
    page = client.get("/accounts/login/")
    assert page.status_code == 200 and "Sign in to Perception" in page.content.decode()
    signed_in = client.post("/accounts/login/", {"username": "ana", "password": "a-long-test-password"})
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200

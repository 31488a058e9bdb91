"""The site menu names each way in so nobody mistakes one for another."""

import re

import pytest
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def menu_entries(client) -> list[str]:
    html = client.get(reverse("reports:home")).content.decode()
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r'class="nav-link"[^>]*>([^<]+)<', html)]


def test_superusers_see_administration_and_the_django_admin_under_distinct_names(admin_client):
    entries = menu_entries(admin_client)
    assert "Administration" in entries and "Django admin (superusers)" in entries
    assert "Admin" not in entries


def test_administrators_without_superuser_rights_see_no_django_admin(client):
    client.force_login(make_user("ada", "Administrators"))
    entries = menu_entries(client)
    assert "Administration" in entries and not any("Django admin" in entry for entry in entries)

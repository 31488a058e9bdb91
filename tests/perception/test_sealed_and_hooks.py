"""Sealed values (encrypted at rest) and the hooks that let a lower room call a higher one."""

import pytest
from cryptography.fernet import Fernet

from perception.lib import hooks, sealed


def test_a_sealed_value_reads_back_and_does_not_show_the_value():
    value = sealed.seal("ana@example.org")
    assert "ana" not in value
    assert sealed.unseal(value) == "ana@example.org"


def test_a_value_sealed_with_another_key_is_refused_readably(settings):
    value = sealed.seal("ana@example.org")
    settings.INVITATION_ADDRESS_KEY = Fernet.generate_key().decode()
    with pytest.raises(sealed.Unreadable, match="another INVITATION_ADDRESS_KEY"):
        sealed.unseal(value)


def test_without_reports_no_answered_count_is_invented(monkeypatch):
    """An unfilled hook says "not published", never a live count."""
    monkeypatch.setattr(hooks, "_published_respondents", None)
    assert hooks.published_respondents(object()) is None


def test_the_apps_fill_in_their_hooks():
    assert hooks.people() is not None
    assert ("high", "High") in hooks.people().influence_choices()

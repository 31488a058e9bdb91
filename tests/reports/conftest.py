import pytest

from tests.factories import make_user


@pytest.fixture
def viewer(client, db):
    """A client signed in as someone who may read results (the Viewers role)."""
    client.force_login(make_user("viewer", "Viewers"))
    return client

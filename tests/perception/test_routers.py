"""The read-replica router: analysis reads go to the replica when there is one, all else stays."""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.test import override_settings

from perception.routers import ReadReplicaRouter


def with_replica():
    """The test database twice: "replica" mirrors "default", as in the settings."""
    default = settings.DATABASES["default"]
    return override_settings(
        DATABASES={"default": default, "replica": {**default, "TEST": {"MIRROR": "default"}}}
    )


ANALYSIS = [
    "reports.Publication",
    "reports.PublishedScore",
    "reports.PublishedCount",
    "reports.PublishedCell",
    "reports.PublishedTotal",
]
OTHERS = [
    "surveys.Response",
    "surveys.Answer",
    "surveys.Invitation",
    "surveys.Survey",
    "auth.User",
    "sessions.Session",
    "axes.AccessAttempt",
]


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@pytest.mark.parametrize("label", ANALYSIS)
def test_analysis_reads_go_to_the_replica(label):
    with with_replica():
        assert ReadReplicaRouter().db_for_read(apps.get_model(label)) == "replica"


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@pytest.mark.parametrize("label", OTHERS)
def test_other_reads_stay_on_the_primary(label):
    """Responses, answers, invitations, throttles and sessions are read where they are
    written: staff pages read them right after writing them."""
    with with_replica():
        assert ReadReplicaRouter().db_for_read(apps.get_model(label)) == "default"


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@pytest.mark.parametrize("label", ANALYSIS + OTHERS)
def test_writes_and_migrations_always_go_to_the_primary(label):
    model = apps.get_model(label)
    with with_replica():
        assert ReadReplicaRouter().db_for_write(model) == "default"
        assert ReadReplicaRouter().allow_migrate("default", model._meta.app_label)
        assert not ReadReplicaRouter().allow_migrate("replica", model._meta.app_label)


@pytest.mark.parametrize("label", ANALYSIS)
def test_without_a_replica_everything_reads_the_primary(label):
    assert "replica" not in settings.DATABASES
    assert ReadReplicaRouter().db_for_read(apps.get_model(label)) == "default"


@pytest.mark.django_db(transaction=True)
@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_reads_inside_a_transaction_stay_on_the_primary():
    """Publishing reads, locks, then writes: it must read what it is about to write over."""
    router = ReadReplicaRouter()
    with with_replica():
        assert router.db_for_read(apps.get_model("reports.PublishedScore")) == "replica"
        with transaction.atomic():
            assert router.db_for_read(apps.get_model("reports.PublishedScore")) == "default"

"""Where queries go when a read replica is configured (``DATABASE_REPLICA_URL``).

Only the analysis reads move: the published figures and the responses and answers the
trends document is built from. Everything else, every write, and every read inside a
transaction on the primary (publishing reads, locks, then writes) stays on "default".
A replica lags its primary by the replication delay, so a page read just after a write
may not show it yet; the published figures are built on the primary and only read here.

Models are named by label, not imported: ``perception`` imports no app.
"""

from django.conf import settings
from django.db import connections

REPLICA = "replica"

# The tables the analysis reads in bulk.
REPLICA_READS = frozenset(
    {
        "reports.Publication",
        "reports.PublishedScore",
        "reports.PublishedCell",
        "reports.PublishedTotal",
        "surveys.Response",
        "surveys.Answer",
    }
)


class ReadReplicaRouter:
    """Analysis reads to the replica when there is one; all else to the primary."""

    def db_for_read(self, model, **hints) -> str:
        if (
            REPLICA in settings.DATABASES
            and model._meta.label in REPLICA_READS
            and not connections["default"].in_atomic_block
        ):
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, first, second, **hints) -> bool:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool:
        return db == "default"  # the replica receives the primary's tables by replication

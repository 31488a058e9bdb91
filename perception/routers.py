"""Where queries go when a read replica is configured (``DATABASE_REPLICA_URL``).

Only the analysis reads move: the published figures every results page reads. They
change only when a publication is written (on the primary), so a lag of a few seconds
shows the previous publication a moment longer and nothing else. Responses and answers
stay on the primary: staff pages read them right after writing (coding a comment, an
import), where a lagging copy would show stale rows. Every write, and every read inside
a transaction on the primary (publishing reads, locks, then writes), stays on "default".

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
        "reports.PublishedCount",
        "reports.PublishedCell",
        "reports.PublishedTotal",
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

"""Background work for surveys, run by `manage.py db_worker` (immediately in tests)."""

import logging

from django.db import transaction
from django_tasks import task

from surveys import services
from surveys.imports import ImportProblem
from surveys.models import ImportUpload

log = logging.getLogger(__name__)


@task()
def import_upload(upload_id: int) -> None:
    """Import a queued upload, all or nothing, recording the outcome on the upload.

    Claimed with a conditional update, so a task delivered twice imports once; a failed
    import can be queued again from its page once the mapping is fixed.
    """
    claimed = ImportUpload.objects.filter(pk=upload_id, status=ImportUpload.QUEUED).update(
        status=ImportUpload.RUNNING
    )
    if not claimed:
        return
    upload = ImportUpload.objects.get(pk=upload_id)
    try:
        services.upload_import(upload=upload)
    except ImportProblem as problem:
        _failed(upload_id, str(problem))
    except Exception:
        log.exception("Import of upload %s failed", upload_id)
        _failed(upload_id, "The import stopped on an unexpected error; nothing was stored. Try again.")
        raise


def _failed(upload_id: int, message: str) -> None:
    # Outside the import's (rolled back) transaction, so the status page sees it.
    with transaction.atomic():
        ImportUpload.objects.filter(pk=upload_id).update(status=ImportUpload.FAILED, message=message)

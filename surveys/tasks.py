"""Background work for surveys, run by `manage.py db_worker` (immediately in tests)."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from surveys import bulk, services
from surveys.imports import ImportProblem
from surveys.models import ImportUpload, Wave

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


@task()
def send_invitations(wave_id: int) -> None:
    """Send the wave's due invitations. Safe to run twice at once: each invitation is
    claimed before it is sent."""
    wave = Wave.objects.select_related("survey").filter(pk=wave_id).first()
    if wave is not None:
        services.invitations_send_due(wave=wave)


@task()
def send_reminders(wave_id: int, right_away: bool = False) -> None:
    """Send the wave's due reminders (``right_away``: the manager asked for one now)."""
    wave = Wave.objects.select_related("survey").filter(pk=wave_id).first()
    if wave is not None:
        services.reminders_send_due(wave=wave, right_away=right_away)


@task()
def invite_recipients(wave_id: int, sealed_recipients: str, send_after: str) -> None:
    """Invite a long list chosen on the invitations page, then send what is due. The
    list arrives sealed, so the task table never holds an address in the clear."""
    wave = Wave.objects.select_related("survey").filter(pk=wave_id).first()
    if wave is None:
        return
    moment = datetime.fromisoformat(send_after)
    services.recipients_invite(
        wave=wave, recipients=services.recipients_unseal(sealed_recipients), send_after=moment
    )
    if moment <= timezone.now():
        services.invitations_send_due(wave=wave)


@task()
def validate_answer_keys() -> None:
    """Validate the answers' foreign keys a large import put back unvalidated (its own
    rows were checked before it committed; this vouches for the whole table)."""
    validated = bulk.validate_answer_keys()
    if validated:
        log.info("Validated %s foreign keys of the answers after an import", validated)

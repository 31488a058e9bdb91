"""The trends document, kept per survey and filters.

The key carries a fingerprint of everything the document is built from (publications,
codings, notes, themes, waves, questions, departments, their labels, and the code that
builds it), so a new publication or a new coding changes the key and the next reader
builds it afresh: nothing has to remember to clear anything. A new response changes
nothing until its batch is published, so the dashboard stays warm as people answer.

Two places keep it. The cache (Redis, or each process's memory) keeps any filtered
document for ``TIMEOUT``. The organisation-wide document (no filters: the dashboard's
first view, the ``trends`` command, what publishing builds) is also stored in the
database (``StoredDocument``), so that every process, a new command and a restarted
server read it instead of computing it again.

Documents are JSON-shaped (what JSON holds: dicts with text keys, lists, numbers, text),
whether just built or read back, so every reader sees the same thing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from perception.models import Department
from reports import disclosure, queries

if TYPE_CHECKING:  # types only: reports reads surveys and conversations through queries.py
    from surveys.models import Survey

TIMEOUT = 15 * 60


def _code_digest() -> str:
    """A digest of the code a document depends on (every module of ``reports``, the
    models of ``surveys`` and ``perception``, the numerical libraries' versions)."""
    from importlib.metadata import version

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(
        [
            *root.joinpath("reports").glob("*.py"),
            root / "surveys" / "models.py",
            root / "perception" / "models.py",
        ]
    ):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for library in ("numpy", "pandas", "scipy", "django"):
        digest.update(f"{library}=={version(library)}".encode())
    return digest.hexdigest()[:16]


# Worked out as this module is imported: a process still running old code after an
# upgrade keeps naming its documents by the old code.
CODE_VERSION = _code_digest()


def code_version() -> str:
    """Which code builds this process's documents: an upgrade that changes how figures
    are computed makes every stored document stale."""
    return CODE_VERSION


# A stored document is built again after this long even when nothing it is known to
# depend on has changed: a safety net for anything the fingerprint does not see.
STORED_MAX_AGE = timedelta(hours=24)


def data_fingerprint(survey: Survey) -> str:
    """A hash of everything the document depends on, and of the code that builds it."""
    return fingerprints(survey)[1]


def fingerprints(survey: Survey) -> tuple[str, str]:
    """(figures, whole): a hash of what the document's figures (all but its themes) depend
    on, and the fingerprint of everything it depends on, which begins with the first;
    both with the code that builds it. A stored document's own fingerprint thus says
    which figures it holds: whoever wrote it, no other column can disagree.

    Every query here is cheap (small tables, or an indexed join): it runs on each
    dashboard and chart request, cached or not. Nothing over the answers table itself.
    """
    figures = _hash([code_version(), queries.figure_inputs(survey)])
    return figures, figures + _hash([code_version(), queries.theme_inputs()])


def _hash(parts: list) -> str:
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()[:32]


def dumps(document: dict) -> str:
    """Compact JSON with sorted keys: what is stored and what ``trends --json`` prints.
    Compact, not indented: only then does the json module use its C encoder."""
    return json.dumps(document, sort_keys=True, ensure_ascii=False)


def trends_document(
    survey: Survey, department: Department | None = None, since: date | None = None, until: date | None = None
) -> dict:
    """``build_trends`` for these filters, kept while the data has not changed.

    Publishing first (when a wave is due its first or final publication; otherwise newer
    responses only ask the publishing task), then the key names what the document is
    built from."""
    disclosure.ensure_published(survey)
    fingerprint = data_fingerprint(survey)
    key = "trends:" + ":".join(
        [
            str(survey.pk),
            str(department.pk if department else ""),
            since.isoformat() if since else "",
            until.isoformat() if until else "",
            fingerprint,
        ]
    )
    document = cache.get(key)
    if document is None:
        if department is None and since is None and until is None:
            document = json.loads(_whole_text(survey, fingerprint))
        else:
            document = json.loads(dumps(build(survey, department, since, until, publish=False)))
        cache.set(key, document, TIMEOUT)
    return document


def trends_text(survey: Survey) -> str:
    """The organisation-wide document as compact JSON (``dumps``): stored, or built and
    stored."""
    disclosure.ensure_published(survey)
    return _whole_text(survey, data_fingerprint(survey))


def _whole_text(survey: Survey, fingerprint: str) -> str:
    from reports.models import StoredDocument

    stored = (
        StoredDocument.objects.filter(survey_id=survey.pk, built__gte=timezone.now() - STORED_MAX_AGE)
        .values("fingerprint", "text", "built")
        .first()
    )
    if stored is not None and stored["fingerprint"] == fingerprint:
        return stored["text"]
    # Built from one state of the database, and stored under the fingerprints of that
    # very state (a publication may have landed since the one above), with the survey
    # read again in it (its anonymity or minimum group size may have changed since the
    # request began).
    # (The caller has published what was due: nothing is published inside the snapshot.)
    with queries.snapshot():
        current = queries.survey_by_pk(survey.pk) or survey
        figures, fingerprint = fingerprints(current)
        if stored is not None and stored["fingerprint"].startswith(figures):
            # Only codings, notes or themes changed: the figures stand, and only the
            # themes are built again (a coding is an everyday act; the figures are most
            # of the work). Their age still counts from when they were built.
            document = json.loads(stored["text"]) | _themes(current)
            built = stored["built"]
        else:
            document = build(current, None, None, None, publish=False)
            built = timezone.now()
        text = dumps(document)
    try:
        # Two readers may build it at once: the second one's row replaces the first.
        with transaction.atomic():
            StoredDocument.objects.update_or_create(
                survey_id=survey.pk,
                defaults={"fingerprint": fingerprint, "text": text, "built": built},
            )
    except IntegrityError:
        pass  # the other one inserted it first: the same document
    return text


def _themes(survey: Survey) -> dict:
    """The organisation-wide document's ``themes`` and ``themes_window``, built alone."""
    from reports.trends import themes_part

    return themes_part(*queries.survey_themes(survey))


def build(
    survey: Survey,
    department: Department | None,
    since: date | None,
    until: date | None,
    *,
    publish: bool = True,
) -> dict:
    """The document computed from the published figures; ``publish``: publish what is due
    first (``disclosure.ensure_published``), unless the caller just did."""
    # Imported here: a reader of a stored document never computes one (pandas' groupings,
    # scipy's tails), and the ``trends`` command starts faster without them.
    from reports.trends import build_trends

    return build_trends(
        queries.survey_data(survey, department=department, since=since, until=until, publish=publish)
    )

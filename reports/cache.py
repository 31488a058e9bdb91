"""The trends document, cached per survey and filters.

The key carries a fingerprint of the data behind the figures (publications, codings,
notes, themes, waves), so a new publication or a new coding changes the key and the next
page view recomputes: nothing has to remember to clear the cache. A new response changes
nothing until its batch is published, so the dashboard stays warm as people answer.
Edits that change no count (renaming a wave, say) show once the entry expires.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import TYPE_CHECKING

from django.core.cache import cache

from perception.models import Department
from reports import disclosure, queries
from reports.queries import survey_data
from reports.trends import build_trends

if TYPE_CHECKING:  # types only: reports reads surveys and conversations through queries.py
    from surveys.models import Survey

TIMEOUT = 15 * 60


def data_fingerprint(survey: Survey) -> str:
    """A short hash of counts and highest ids of everything the document depends on.

    Every query here is cheap (small tables, or an indexed join): it runs on each
    dashboard and chart request, cached or not. Nothing over the answers table itself.
    """
    parts = queries.document_inputs(survey)
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()[:24]


def trends_document(
    survey: Survey, department: Department | None = None, since: date | None = None, until: date | None = None
) -> dict:
    """``build_trends`` for these filters, from the cache when the data has not changed.

    Publishing first (when a wave is due its first or final publication; otherwise newer
    responses only ask the publishing task), then the key names the publications read."""
    disclosure.ensure_published(survey)
    key = "trends:" + ":".join(
        [
            str(survey.pk),
            str(department.pk if department else ""),
            since.isoformat() if since else "",
            until.isoformat() if until else "",
            data_fingerprint(survey),
        ]
    )
    document = cache.get(key)
    if document is None:
        document = build_trends(survey_data(survey, department=department, since=since, until=until))
        cache.set(key, document, TIMEOUT)
    return document

"""The trends document, cached per survey and filters.

The key carries a fingerprint of the data behind the figures (responses, codings,
notes, themes, waves), so a new response or a new coding changes the key and the next
page view recomputes: nothing has to remember to clear the cache. Edits that change no
count (renaming a wave, say) show once the entry expires.
"""

import hashlib
import json
from datetime import date

from django.core.cache import cache
from django.db.models import Count, Max

from conversations.models import Conversation, Note
from perception.models import Department, Theme
from reports.queries import survey_data
from reports.trends import build_trends
from surveys.models import Answer, Response, Survey

TIMEOUT = 15 * 60


def data_fingerprint(survey: Survey) -> str:
    """A short hash of counts and highest ids of everything the document depends on.

    Every query here is cheap (small tables, or an indexed join): it runs on each
    dashboard and chart request, cached or not. Nothing over the answers table itself.
    """
    parts = [
        Response.objects.filter(wave__survey=survey).aggregate(n=Count("id"), last=Max("id")),
        Answer.themes.through.objects.aggregate(n=Count("id"), last=Max("id")),
        Note.themes.through.objects.aggregate(n=Count("id"), last=Max("id")),
        Conversation.objects.aggregate(n=Count("id"), last=Max("id")),
        Theme.objects.aggregate(n=Count("id"), last=Max("id")),
        Department.objects.aggregate(n=Count("id"), last=Max("id")),
        survey.waves.aggregate(n=Count("id"), last=Max("id"), opens=Max("opens"), closes=Max("closes")),
        survey.questions.aggregate(n=Count("id"), last=Max("id")),
        # Scoring rules change figures without changing any count.
        list(
            survey.questions.order_by("pk").values_list(
                "pk", "kind", "dimension", "reverse_scored", "favourable_from", "likelihood_to_recommend"
            )
        ),
        {"k": survey.group_threshold()},
    ]
    return hashlib.sha256(json.dumps(parts, default=str, sort_keys=True).encode()).hexdigest()[:24]


def trends_document(
    survey: Survey, department: Department | None = None, since: date | None = None, until: date | None = None
) -> dict:
    """``build_trends`` for these filters, from the cache when the data has not changed."""
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

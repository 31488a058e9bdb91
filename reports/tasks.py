"""Background work of the reports: publishing each survey's figures."""

from django.core.cache import cache
from django_tasks import task

from reports import disclosure
from surveys.models import Survey


@task()
def publish_figures(survey_id: int) -> int:
    """Publish the survey's waves (reports.disclosure); returns how many publications
    were written. Safe to run any number of times."""
    cache.delete(disclosure.PENDING_KEY.format(survey_id))
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        return 0
    return len(disclosure.publish_survey(survey, fingerprint=disclosure.live_fingerprint(survey)))

"""Background work of the reports: publishing each survey's figures."""

from django.core.cache import cache
from django_tasks import task

from reports import cache as documents
from reports import disclosure, queries


@task()
def publish_figures(survey_id: int) -> int:
    """Publish the survey's waves (reports.disclosure); returns how many publications
    were written. Safe to run any number of times."""
    cache.delete(disclosure.PENDING_KEY.format(survey_id))
    survey = queries.survey_by_pk(survey_id)
    if survey is None:
        return 0
    made = disclosure.publish_survey(survey, fingerprint=disclosure.live_fingerprint(survey))
    # Final waves scored by rules changed since (left here by readers when large).
    made += disclosure.rescore_final_waves(survey)
    if made:
        # The organisation-wide document is built here, so the next reader finds it ready.
        documents.trends_document(survey)
    return len(made)

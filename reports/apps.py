from django.apps import AppConfig


def _any_publication() -> bool:
    from reports.models import Publication

    return Publication.objects.exists()


def _score_responses(survey, response_ids):
    from reports import queries  # on first use: pandas stays out of every process's start

    return queries.score_responses(survey, response_ids)


def _score_answered(questions, response_ids, numbers, chosen):
    from reports import queries

    return queries.score_answered(questions, response_ids, numbers, chosen)


def _encode_answered(questions, response_ids, numbers, chosen):
    from reports import queries

    return queries.encode_answered(questions, response_ids, numbers, chosen)


def _published_responses(wave_ids):
    from reports import queries
    from reports.disclosure import ensure_all_published

    ensure_all_published()  # at most every 30 seconds
    return queries.counted_responses(wave_ids)


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from perception.lib import published_figures

        # Site settings refuse to lower k once figures exist (perception imports no app).
        published_figures.register(_any_publication)

        from perception.lib import hooks
        from reports.disclosure import published_respondents, request_publication

        hooks.register_published_respondents(published_respondents)
        # After an import, the publishing task rather than the first reader publishes it.
        hooks.register_publication_request(request_publication)
        # The coding queue offers only comments whose authors the figures count.
        hooks.register_published_responses(_published_responses)

        from perception.lib import respondent_scoring

        respondent_scoring.register(
            from_database=_score_responses,
            from_answers=_score_answered,
            encoded_from_answers=_encode_answered,
        )

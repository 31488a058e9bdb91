from django.apps import AppConfig


def _score_responses(survey, response_ids):
    from reports import queries  # on first use: pandas stays out of every process's start

    return queries.score_responses(survey, response_ids)


def _score_answered(questions, numbers, ticked):
    from reports import queries

    return queries.score_answered(questions, numbers, ticked)


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from perception.lib import respondent_scoring

        respondent_scoring.register(from_database=_score_responses, from_answers=_score_answered)

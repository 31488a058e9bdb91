from django.apps import AppConfig


def measure_targets():
    """The survey measures a follow-up action may aim to move: every dimension, then
    every numeric question on a form, keyed as the reports' measures are (a question's
    wording versions are one measure, named by its series)."""
    from perception.lib.measure_targets import MeasureTarget
    from surveys.models import Question

    questions = Question.objects.select_related("survey").order_by("survey__title", "order", "pk")
    numeric = [q for q in questions if q.is_numeric and not q.retired]
    dimensions = sorted({q.dimension for q in numeric if q.dimension})
    return [MeasureTarget(f"dimension:{name}", f"Dimension: {name}") for name in dimensions] + [
        MeasureTarget(f"question:{q.series}", f"{q.survey.title}: {q.text}") for q in numeric
    ]


def _anyone_answered() -> bool:
    from surveys.models import Response

    return Response.objects.exists()


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"

    def ready(self):
        from perception.lib import measure_targets as registry

        registry.register(measure_targets)

        from perception.lib import published_figures

        # Site settings may not lower k once anyone has answered under it.
        published_figures.register(_anyone_answered)

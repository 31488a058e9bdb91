from django.apps import AppConfig


def measure_targets():
    """The survey measures a follow-up action may aim to move: every dimension, then
    every numeric question, keyed as the reports' measures are."""
    from perception.lib.measure_targets import MeasureTarget
    from surveys.models import Question

    questions = Question.objects.select_related("survey").order_by("survey__title", "order", "pk")
    numeric = [q for q in questions if q.is_numeric]
    dimensions = sorted({q.dimension for q in numeric if q.dimension})
    return [MeasureTarget(f"dimension:{name}", f"Dimension: {name}") for name in dimensions] + [
        MeasureTarget(f"question:{q.pk}", f"{q.survey.title}: {q.text}") for q in numeric
    ]


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"

    def ready(self):
        from perception.lib import measure_targets as registry

        registry.register(measure_targets)

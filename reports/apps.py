from django.apps import AppConfig


def _any_publication() -> bool:
    from reports.models import Publication

    return Publication.objects.exists()


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from perception.lib import published_figures

        # Site settings refuse to lower k once figures exist (perception imports no app).
        published_figures.register(_any_publication)

        from perception.lib import hooks
        from reports.disclosure import published_respondents

        hooks.register_published_respondents(published_respondents)

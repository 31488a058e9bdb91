from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from perception.lib import hooks
        from reports.disclosure import published_respondents

        hooks.register_published_respondents(published_respondents)

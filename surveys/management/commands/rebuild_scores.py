from django.core.management.base import BaseCommand, CommandError

from surveys import services
from surveys.models import Survey


class Command(BaseCommand):
    requires_system_checks = []
    help = (
        "Bring the kept per-respondent scores up to date: responses without them, or scored "
        "under older scoring rules (a scale or reverse-scoring changed). Idempotent: a "
        "second run scores nothing. --all scores every response again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--survey", help="Only this survey (its slug).")
        parser.add_argument("--all", action="store_true", help="Score every response again.")

    def handle(self, *args, survey: str | None, all: bool, **options):
        surveys = Survey.objects.order_by("slug")
        if survey is not None:
            surveys = surveys.filter(slug=survey)
            if not surveys.exists():
                raise CommandError(f"No survey with slug '{survey}'.")
        for chosen in surveys:

            def progress(done: int, total: int, slug: str = chosen.slug) -> None:
                self.stdout.write(f"{slug}: {done:,} of {total:,} responses scored")

            scored = services.respondent_scores_rebuild(survey=chosen, everything=all, progress=progress)
            self.stdout.write(f"{chosen.slug}: {scored:,} response(s) scored, the rest were up to date")

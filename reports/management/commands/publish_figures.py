from django.core.management.base import BaseCommand, CommandError

from reports import cache as documents
from reports import disclosure, queries


class Command(BaseCommand):
    requires_system_checks = []
    help = (
        "Publish the figures of every survey (or one): new responses, edits and deletions "
        "join in whole batches, closed waves get their final publication. Idempotent; "
        "meant for cron, e.g. every 15 minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--survey", help="Only this survey (its slug).")

    def handle(self, *args, survey: str | None, **options):
        surveys = queries.surveys()
        if survey is not None:
            surveys = surveys.filter(slug=survey)
            if not surveys.exists():
                raise CommandError(f"No survey with slug '{survey}'.")
        for chosen in surveys:
            made = disclosure.publish_survey(chosen, fingerprint=disclosure.live_fingerprint(chosen))
            if made:
                # Build the organisation-wide document now, so the next reader finds it ready.
                documents.trends_document(chosen)
            self.stdout.write(f"{chosen.slug}: {len(made)} new publication(s)")

from django.core.management.base import BaseCommand

from surveys import services


class Command(BaseCommand):
    help = (
        "Delete import uploads left for more than a day (abandoned on the mapping page, or imported). "
        "Safe to run from cron at any time: an import in progress is left alone."
    )

    def handle(self, *args, **options):
        deleted = services.uploads_prune()
        self.stdout.write(f"Deleted {deleted} upload{'s' if deleted != 1 else ''} older than a day.")

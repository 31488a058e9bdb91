from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from perception.models import SiteSettings
from surveys import services


class Command(BaseCommand):
    help = (
        "Blank free-text answers older than the retention period in site settings (months after "
        "their wave closed). Coded themes and figures stay. Safe to run from cron: running it "
        "again blanks nothing more."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only say how many answers would be blanked."
        )

    def handle(self, *args, dry_run: bool, **options):
        try:
            months = SiteSettings.load().free_text_retention_months
            if not months:
                self.stdout.write("No retention period is set in site settings; nothing blanked.")
                return
            if dry_run:
                count = services.free_text_expired(months=months).count()
                self.stdout.write(f"Would blank {count} free-text answers older than {months} months.")
                return
            count = services.free_text_apply_retention(months=months)
        except DatabaseError as error:
            message = " ".join(str(error).split()) or type(error).__name__
            raise CommandError(f"Retention not applied, nothing changed: {message}") from None
        self.stdout.write(f"Blanked {count} free-text answers older than {months} months.")

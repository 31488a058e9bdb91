from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reports.service_metrics import ServiceMetricsError, import_service_metrics


class Command(BaseCommand):
    help = "Import help-desk service metrics from a CSV: month (YYYY-MM), metric, value, unit; all or none."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            created, updated = import_service_metrics(data)
        except ServiceMetricsError as error:
            raise CommandError(f"{error} Nothing was imported.") from None
        self.stdout.write(self.style.SUCCESS(f"Imported service metrics: {created} new, {updated} updated."))

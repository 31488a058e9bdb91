from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reports import disclosure, monthly
from reports.models import ReportSettings


class Command(BaseCommand):
    help = (
        "Send last month's perception report once the configured day has come. Safe to run daily "
        "from cron: each month is sent exactly once, even by two runs at the same moment."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="Send (or preview) this month, as YYYY-MM, whatever the day.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the email; send and record nothing."
        )

    def handle(self, *args, month: str | None, dry_run: bool, **options):
        # The report counts what is published: the command publishes what is due itself,
        # whatever its size (a page leaves a large wave to the publishing task).
        with disclosure.publishing_any_size():
            self._handle(month, dry_run)

    def _handle(self, month: str | None, dry_run: bool):
        settings = ReportSettings.load()
        if month:
            try:
                period = date.fromisoformat(f"{month}-01")
            except ValueError:
                raise CommandError(f"--month must be a month as YYYY-MM, not '{month}'.") from None
        else:
            period = monthly.due_period(timezone.localdate(), settings.send_day)
            if period is None:
                self.stdout.write(f"Not due yet: last month's report goes out from day {settings.send_day}.")
                return
        try:
            if dry_run:
                composition = monthly.compose(period, settings)
                self.stdout.write(f"To: {', '.join(composition.recipients) or '(no recipients set)'}")
                self.stdout.write(f"Subject: {composition.subject}\n\n{composition.body_text}")
                self.stdout.write(f"({composition.words} words; nothing sent)")
                return
            report = monthly.report_send(period=period, settings=settings)
        except monthly.AlreadySent:
            self.stdout.write(
                f"The report for {period:%B %Y} has already been sent (or is being sent); nothing to do."
            )
            return
        except monthly.ReportError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(f"Sent the report for {period:%B %Y}: {report.subject}"))

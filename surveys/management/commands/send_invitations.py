from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from surveys import services
from surveys.models import Wave
from surveys.recipients import check_addresses, parse_addresses


def read_addresses(path: Path) -> list[tuple[str, str]]:
    """(address, department name) pairs from a file (see surveys.recipients)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CommandError(f"No such file: {path}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text; save it as UTF-8 CSV and try again.") from None
    return parse_addresses(text)


class Command(BaseCommand):
    help = (
        "Email single-use personal survey links for a wave, now. Safe to re-run: nobody is "
        "invited twice. (The invitations page does the same, and can schedule them.)"
    )

    def add_arguments(self, parser):
        parser.add_argument("--wave", type=int, required=True, help="The wave's id (see the admin).")
        parser.add_argument(
            "--emails",
            type=Path,
            required=True,
            help=(
                "CSV with an 'email' column (and optionally 'department': the response then gets "
                "that department, verified where People gives the person the same one, else "
                "counted as self-reported), or one address per line."
            ),
        )
        parser.add_argument(
            "--resend",
            action="store_true",
            help="Send a fresh link to people invited before who have not answered yet.",
        )

    def handle(self, *args, wave: int, emails: Path, resend: bool, **options):
        target = Wave.objects.select_related("survey").filter(pk=wave).first()
        if target is None:
            raise CommandError(f"No wave with id {wave}.")
        now = timezone.now()
        if target.status(now) == Wave.CLOSED:
            raise CommandError(f"Wave '{target.label}' closed on {target.closes:%Y-%m-%d}; nothing sent.")
        checked = check_addresses(read_addresses(emails))
        if checked.unknown_departments:
            raise CommandError(
                f"Unknown departments in {emails}: {', '.join(checked.unknown_departments)}. Add them "
                "in the admin or fix the names; nothing sent."
            )
        skipped = 0
        for address, department in checked.recipients:
            issued = services.invitation_issue(
                wave=target, email=address, resend=resend, department=department, send_after=now
            )
            skipped += issued is None
        # The same service as the pages' task: each invitation is claimed before it goes.
        try:
            outcome = services.invitations_send_due(wave=target, now=now)
        except services.SendingStopped as stopped:
            raise CommandError(f"{stopped}. What was not sent is still due; run again later.") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Sent {outcome.sent}; already invited (not sent again) {skipped}; "
                f"bad addresses {len(checked.bad)}."
                + (f" Refused by the mail server: {outcome.bounced}." if outcome.bounced else "")
            )
        )
        for address in checked.bad:
            self.stdout.write(f"  not an email address: {address!r}")

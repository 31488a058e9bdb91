import csv
import io
from pathlib import Path

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.urls import reverse
from django.utils import timezone

from perception.lib import emails
from perception.models import Department, SiteSettings
from surveys import services
from surveys.models import Wave


def read_addresses(path: Path) -> list[tuple[str, str]]:
    """(address, department name) pairs from a CSV with an `email` column and an optional
    `department` column, or from a file of one address per line (no departments).

    Blank lines and repeats are dropped; order is kept.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CommandError(f"No such file: {path}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not UTF-8 text; save it as UTF-8 CSV and try again.") from None
    rows = list(csv.reader(io.StringIO(text)))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    if "email" in header:
        column = header.index("email")
        department = header.index("department") if "department" in header else None

        def cell(row: list[str], index: int | None) -> str:
            return row[index].strip() if index is not None and len(row) > index else ""

        values = [(cell(row, column), cell(row, department)) for row in rows[1:]]
    else:
        values = [(line.strip(), "") for line in text.splitlines()]
    addresses, seen = [], set()
    for value, department_name in values:
        if value and value.lower() not in seen:
            seen.add(value.lower())
            addresses.append((value, " ".join(department_name.split())))
    return addresses


class Command(BaseCommand):
    help = "Email single-use personal survey links for a wave. Safe to re-run: nobody is invited twice."

    def add_arguments(self, parser):
        parser.add_argument("--wave", type=int, required=True, help="The wave's id (see the admin).")
        parser.add_argument(
            "--emails",
            type=Path,
            required=True,
            help=(
                "CSV with an 'email' column (and optionally 'department': the response then gets "
                "that department, verified), or one address per line."
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
        addresses = read_addresses(emails)
        departments = {d.name.lower(): d for d in Department.objects.all()}
        unknown = sorted({name for _, name in addresses if name and name.lower() not in departments})
        if unknown:
            raise CommandError(
                f"Unknown departments in {emails}: {', '.join(unknown)}. Add them in the admin "
                "or fix the names; nothing sent."
            )
        site = SiteSettings.load()
        sent, skipped, bad = 0, 0, []
        with mail.get_connection() as connection:
            for address, department_name in addresses:
                try:
                    validate_email(address)
                except ValidationError:
                    bad.append(address)
                    continue
                issued = services.invitation_issue(
                    wave=target,
                    email=address,
                    resend=resend,
                    department=departments.get(department_name.lower()) if department_name else None,
                )
                if issued is None:
                    skipped += 1
                    continue
                self._send(connection, site, target, address, issued.token)
                services.invitation_mark_sent(invitation=issued.invitation, now=now)
                sent += 1
                if sent % 100 == 0:
                    self.stdout.write(f"  {sent} sent…")
        self.stdout.write(
            self.style.SUCCESS(
                f"Sent {sent}; already invited (not sent again) {skipped}; bad addresses {len(bad)}."
            )
        )
        for address in bad:
            self.stdout.write(f"  not an email address: {address!r}")

    def _send(self, connection, site, wave: Wave, address: str, token: str) -> None:
        link = settings.SITE_URL + reverse("surveys:personal_link", args=[token])
        email = emails.render(
            "invitation",
            {"site": site, "survey": wave.survey, "wave": wave, "link": link},
            language=wave.survey.language,
        )
        emails.message(email, to=[address], connection=connection).send()

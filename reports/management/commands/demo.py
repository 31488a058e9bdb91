import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.utils import timezone

from conversations import demo as listening_demo
from perception.roles import ADMINISTRATORS
from reports import demo as report_demo
from surveys import demo
from surveys.models import Response

DEMO_USERNAME = "demo"


class Command(BaseCommand):
    help = "Load the demo organisation (deterministic) and create a demo superuser (an administrator)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing to the data if any response already exists (used by `make run`).",
        )

    def handle(self, *args, if_empty: bool = False, **options):
        if if_empty and Response.objects.exists():
            self.stdout.write("Data already present; demo data not loaded.")
        elif Response.objects.filter(source=Response.DEMO).exists():
            self.stdout.write("Demo data already loaded.")
        else:
            self.stdout.write("Loading the demo organisation…")
            user = self._ensure_demo_user()
            summary = demo.build(timezone.now())
            conversations = listening_demo.build(timezone.localdate(), facilitator=user)
            report_demo.build()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo loaded: {summary.departments} departments, {summary.waves} waves, "
                    f"{summary.responses} responses, {conversations} conversations; "
                    f"wave {summary.open_wave} is open at /s/it-service/."
                )
            )
            return
        self._ensure_demo_user()

    def _ensure_demo_user(self) -> None:
        User = get_user_model()
        if User.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write(
                f"Demo sign-in: user '{DEMO_USERNAME}' (its password was printed when it was created)."
            )
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_superuser(DEMO_USERNAME, "demo@example.invalid", password)
        # A superuser holds every permission anyway; the role makes it visible on the staff page.
        user.groups.add(*Group.objects.filter(name=ADMINISTRATORS))
        self.stdout.write(
            self.style.WARNING(f"Demo sign-in (shown once): user '{DEMO_USERNAME}', password '{password}'")
        )

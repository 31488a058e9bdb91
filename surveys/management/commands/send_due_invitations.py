from django.core.management.base import BaseCommand
from django.utils import timezone

from surveys import services, tasks
from surveys.models import Invitation, InvitationMessage, Wave


class Command(BaseCommand):
    help = (
        "Run by cron every few minutes: queue the sending of scheduled invitations and due "
        "reminders of open waves, and erase the addresses of closed waves' invitations. "
        "Idempotent: every invitation and reminder is claimed before it is sent."
    )

    def handle(self, *args, **options):
        now = timezone.now()
        open_waves = Wave.objects.filter(opens__lte=now, closes__gt=now)
        with_due = open_waves.filter(pk__in=Invitation.objects.due(now).values("wave"))
        for wave_id in with_due.values_list("pk", flat=True):
            tasks.send_invitations.enqueue(wave_id)
        reminding = 0
        plans = InvitationMessage.objects.filter(wave__in=open_waves, reminders__gt=0)
        for plan in plans.select_related("wave"):
            if (
                Invitation.objects.filter(wave=plan.wave)
                .to_remind(now=now, reminders=plan.reminders, days=plan.reminder_days)
                .exists()
            ):
                tasks.send_reminders.enqueue(plan.wave_id)
                reminding += 1
        erased = services.invitations_erase_closed(now=now)
        self.stdout.write(
            f"Queued invitations for {with_due.count()} wave(s) and reminders for {reminding}; "
            f"erased the addresses of {erased} invitation(s) of closed waves."
        )

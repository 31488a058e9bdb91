"""Existing data follows the privacy rules of 0008_privacy.

Its own migration, so it runs after the new columns and their indexes are in place
(PostgreSQL refuses to build an index on a table with pending trigger events from rows
changed in the same transaction)."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

ANONYMOUS = "anonymous"


def keep_only_what_anonymity_allows(apps, schema_editor):
    """Existing data follows the new rules: anonymous responses keep only their date
    (local midnight), anonymous invitations only answered yes/no; the others keep the
    exact time they declare and get answered from it."""
    Response = apps.get_model("surveys", "Response")
    Invitation = apps.get_model("surveys", "Invitation")
    Wave = apps.get_model("surveys", "Wave")

    anonymous = Response.objects.filter(wave__survey__anonymity=ANONYMOUS).only("pk", "submitted")
    batch = []
    for response in anonymous.iterator(chunk_size=2000):
        day = timezone.localtime(response.submitted).replace(hour=0, minute=0, second=0, microsecond=0)
        if day != response.submitted:
            response.submitted = day
            batch.append(response)
        if len(batch) >= 2000:
            Response.objects.bulk_update(batch, ["submitted"])
            batch = []
    Response.objects.bulk_update(batch, ["submitted"])

    used = Invitation.objects.filter(used_at__isnull=False)
    used.update(answered=True)
    used.filter(wave__survey__anonymity=ANONYMOUS).update(used_at=None)

    # Imported anonymous waves ran from the first to the last respondent's exact time:
    # widen them to whole days, as imports now do.
    now = timezone.now()
    for wave in Wave.objects.filter(survey__anonymity=ANONYMOUS, imports__isnull=False).distinct():
        start = timezone.localtime(wave.opens).replace(hour=0, minute=0, second=0, microsecond=0)
        last_day = timezone.localtime(wave.closes).replace(hour=0, minute=0, second=0, microsecond=0)
        end = min(last_day + timedelta(days=1, seconds=-1), now)
        if end > wave.closes:
            wave.opens, wave.closes = start, end
            wave.save(update_fields=["opens", "closes"])


class Migration(migrations.Migration):
    dependencies = [("surveys", "0008_privacy")]

    operations = [migrations.RunPython(keep_only_what_anonymity_allows, migrations.RunPython.noop)]

"""Install the built-in `it-service` instrument, so every fresh install has it."""

from django.db import migrations

from surveys import instrument


def install(apps, schema_editor):
    instrument.install(apps.get_model("surveys", "Survey"), apps.get_model("surveys", "Question"))


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]

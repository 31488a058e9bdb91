"""Add the Managers role, who set up and send the monthly report."""

from django.db import migrations


def create_managers(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="Managers")


class Migration(migrations.Migration):
    dependencies = [("perception", "0002_roles")]

    operations = [migrations.RunPython(create_managers, migrations.RunPython.noop)]

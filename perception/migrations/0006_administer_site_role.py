"""The Administrators role: invite staff, give roles, keep departments and site settings
without the Django admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_administrators(apps, schema_editor):
    # Permissions are normally created after all migrations; create the new one now so
    # the group can hold it.
    app_config = apps.get_app_config("perception")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Administrators")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="perception", codename__in=["view_results", "administer_site"]
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ('perception', '0005_privacy'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='access',
            options={'default_permissions': (), 'managed': False, 'permissions': [('view_results', 'See results: dashboard, themes, coverage and the listening log'), ('log_conversations', 'Log conversations, people, notes and actions; edit the codebook'), ('code_comments', 'Code survey comments with themes'), ('manage_surveys', 'Build surveys, open waves and import responses'), ('send_monthly_report', 'Set up and send the monthly report'), ('export_raw_responses', 'Download raw responses'), ('administer_site', 'Invite staff and give roles; edit departments and site settings')]},
        ),
        migrations.RunPython(create_administrators, migrations.RunPython.noop),
    ]

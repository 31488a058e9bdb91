"""Roles become groups of permissions: each view asks for a permission, not a group name."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

ROLE_PERMISSIONS = {
    "Viewers": ["view_results"],
    "Listeners": ["view_results", "log_conversations", "code_comments"],
    "Managers": ["view_results", "manage_surveys", "send_monthly_report"],
}


def grant_role_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now so the
    # groups can hold them.
    app_config = apps.get_app_config("perception")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="perception", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("perception", "0003_managers"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="Access",
            fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"))],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("view_results", "See results: dashboard, themes, coverage and the listening log"),
                    ("log_conversations", "Log conversations, people, notes and actions; edit the codebook"),
                    ("code_comments", "Code survey comments with themes"),
                    ("manage_surveys", "Build surveys, open waves and import responses"),
                    ("send_monthly_report", "Set up and send the monthly report"),
                    ("export_raw_responses", "Download raw responses"),
                ],
            },
        ),
        migrations.RunPython(grant_role_permissions, migrations.RunPython.noop),
    ]

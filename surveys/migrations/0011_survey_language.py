from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0010_import_upload_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="survey",
            name="language",
            field=models.CharField(
                choices=[("en", "English"), ("es", "Español"), ("fr", "Français"), ("de", "Deutsch")],
                default="en",
                help_text=(
                    "The language respondents see first; they can switch to another on the page "
                    "(the choice stays in the link and is never stored with the answers)."
                ),
                max_length=8,
            ),
        ),
    ]

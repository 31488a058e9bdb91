"""Answers lose their index by (question, response) for numbers: it took a fifth of a
100,000-row import. Comments and ticked options (stored without a number) keep one, and a
question says itself whether it has answers (``Question.answered``), set here from the
answers while the old index still makes that quick."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Exists, OuterRef


def mark_answered(apps, schema_editor):
    Question = apps.get_model("surveys", "Question")
    Answer = apps.get_model("surveys", "Answer")
    Question.objects.filter(Exists(Answer.objects.filter(question=OuterRef("pk")))).update(answered=True)


class Migration(migrations.Migration):
    dependencies = [
        ("perception", "0006_administer_site_role"),
        ("surveys", "0017_invitation_department_verified"),
    ]

    operations = [
        migrations.AddField(
            model_name="question",
            name="answered",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.RunPython(mark_answered, migrations.RunPython.noop),
        migrations.RemoveIndex(
            model_name="answer",
            name="surveys_ans_questio_81da70_idx",
        ),
        migrations.AddIndex(
            model_name="answer",
            index=models.Index(
                condition=models.Q(("number__isnull", True)),
                fields=["question", "response"],
                name="answer_unscored_by_question",
            ),
        ),
        migrations.AlterField(
            model_name="answer",
            name="question",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="answers",
                to="surveys.question",
            ),
        ),
    ]

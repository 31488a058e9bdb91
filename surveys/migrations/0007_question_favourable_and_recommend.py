"""A declared favourable cut per question, and the likelihood-to-recommend flag that alone
earns a net score; the built-in instrument's 0–10 recommend question gets the flag."""

from django.db import migrations, models

from surveys import instrument


def mark_recommend(apps, schema_editor):
    instrument.mark_recommend(apps.get_model("surveys", "Question"))


class Migration(migrations.Migration):
    dependencies = [("surveys", "0006_answer_indexes")]

    operations = [
        migrations.AddField(
            model_name="question",
            name="favourable_from",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text=(
                    "The lowest favourable point, after reverse-scoring (e.g. 4 for 4–5 of 1–5). "
                    "Empty: the top two points of the scale."
                ),
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="question",
            name="likelihood_to_recommend",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "A 0–10 'how likely are you to recommend' question: it gets a net score "
                    "(% 9–10 minus % 0–6). Leave off for any other 0–10 question."
                ),
            ),
        ),
        migrations.RunPython(mark_recommend, migrations.RunPython.noop),
    ]

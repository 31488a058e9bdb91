"""Generate the synthetic organisation for `make bench` into the configured database.

    DATABASE_URL=... python -m benchmarks.generate --respondents 20000 --waves 6

A survey `bench` with 25 questions (23 agreement items over 5 dimensions, one 0–10, one
free text coded with themes in a third of answers), 8 departments, and N respondents per
wave. Answers are written with the database's bulk path (COPY on PostgreSQL, executemany
on SQLite): the ORM would take minutes for three million rows.
"""

import argparse
import os
import sys
import time
from datetime import UTC, datetime, timedelta

import numpy as np

SLUG = "bench"
DIMENSIONS = ["Reliability", "Responsiveness", "Competence", "Communication", "Professionalism"]
DEPARTMENTS = [f"Department {letter}" for letter in "ABCDEFGH"]
THEMES = ["Slow tickets", "Wi-Fi", "Software requests", "Change notices", "Friendly staff"]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def generate(respondents: int, waves: int, seed: int = 1) -> int:
    from django.db import connection, transaction

    from perception.models import Department, Theme
    from surveys.bulk import insert_numeric_answers, mark_answered
    from surveys.models import Answer, Question, Response, Survey, Wave

    rng = np.random.default_rng(seed)
    Survey.objects.filter(slug=SLUG).delete()
    survey = Survey.objects.create(title="Benchmark survey", slug=SLUG)
    questions = []
    for index in range(23):
        questions.append(
            Question.objects.create(
                survey=survey,
                order=index,
                text=f"Statement {index + 1}",
                kind=Question.RATING_5,
                dimension=DIMENSIONS[index % 5],
                reverse_scored=index % 7 == 6,
            )
        )
    recommend = Question.objects.create(survey=survey, order=30, text="Recommend", kind=Question.SCALE_10)
    comment = Question.objects.create(survey=survey, order=31, text="Change one thing", kind=Question.TEXT)
    departments = [Department.objects.get_or_create(name=name)[0] for name in DEPARTMENTS]
    themes = [Theme.objects.get_or_create(name=name)[0] for name in THEMES]
    start = datetime(2025, 1, 6, tzinfo=UTC)
    total_answers = 0
    for wave_index in range(waves):
        opens = start + timedelta(days=91 * wave_index)
        wave = Wave.objects.create(
            survey=survey, label=f"Wave {wave_index + 1}", opens=opens, closes=opens + timedelta(days=28)
        )
        with transaction.atomic():
            department_of = rng.integers(0, len(departments), respondents)
            latent = rng.normal(3.3 + 0.05 * wave_index, 0.7, respondents)
            responses = Response.objects.bulk_create(
                [
                    Response(
                        wave=wave,
                        respondent_key=f"w{wave_index}-r{i}",
                        department=departments[department_of[i]],
                        submitted=opens + timedelta(minutes=int(i % 40000)),
                        source=Response.IMPORT,
                    )
                    for i in range(respondents)
                ],
                batch_size=5000,
            )
            ids = np.array([r.pk for r in responses])
            # One row per respondent, one column per question (NaN: skipped), written
            # response by response as the survey page would, so rows sit together on disk.
            matrix = np.clip(
                np.rint(latent[:, None] + rng.normal(0, 0.6, (respondents, len(questions)))), 1, 5
            )
            matrix[rng.random(matrix.shape) < 0.03] = np.nan
            nps = np.clip(np.rint((latent - 1) * 2.5 + rng.normal(0, 1.2, respondents)), 0, 10)
            matrix = np.column_stack([matrix, nps])
            question_ids = np.array([q.pk for q in questions] + [recommend.pk])
            answered = ~np.isnan(matrix)
            rows = (
                np.repeat(ids, len(question_ids))[answered.ravel()],
                np.tile(question_ids, respondents)[answered.ravel()],
                matrix.ravel()[answered.ravel()],
            )
            numbers = len(rows[0])
            insert_numeric_answers(*(column.tolist() for column in rows))
            commented = ids[rng.random(respondents) < 0.3]
            texts = Answer.objects.bulk_create(
                [Answer(response_id=int(r), question=comment, text="Please fix it") for r in commented],
                batch_size=5000,
            )
            mark_answered([comment.pk] if texts else [])
            Answer.themes.through.objects.bulk_create(
                [
                    Answer.themes.through(
                        answer_id=a.pk, theme_id=themes[int(rng.integers(0, len(themes)))].pk
                    )
                    for a in texts
                    if rng.random() < 0.5
                ],
                batch_size=5000,
            )
            total_answers += numbers + len(texts)
        progress(
            f"  wave {wave_index + 1}/{waves}: {respondents} respondents, {total_answers:,} answers so far"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return total_answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=20000, help="respondents per wave")
    parser.add_argument("--waves", type=int, default=6)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perception.settings")
    import django

    django.setup()
    began = time.perf_counter()
    answers = generate(args.respondents, args.waves)
    progress(f"Generated {answers:,} answers in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()

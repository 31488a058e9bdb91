"""The analysis and raw-CSV-export half of `make bench-peer` (benchmarks.peer runs it).

Both sides on the same PostgreSQL, each job a whole new process timed from outside
(interpreter start to exit), the two sides interleaved (A, B, A, B…), median of the runs:

- analysis of one survey with one wave of N respondents × 25 questions. Perception:
  ``manage.py trends --survey bench --json`` (every measure with its interval, the
  department breakdown, themes). The peer has no results page; its analysis is
  ``manage.py exportresult --tex --force`` (its LaTeX report: per question, counts
  and a chart of each answer; the PDF step needs xelatex, which is not installed, and
  would be the same TeX compile for any project, so it is left out).
- raw CSV export, one row per respondent, one column per question. Perception: a
  signed-in request for ``/dashboard/responses.csv`` (benchmarks.raw_export). The
  peer: ``manage.py exportresult --csv --force`` (the file its CSV view serves).

Perception's data comes from benchmarks.generate (one wave; 23 agreement items, a 0–10
and a comment), its kept scores and published figures brought up to date before timing;
the peer's is written straight into its tables by COPY (25 radio questions, 1–5).
"""

import io
import json
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql://postgres@127.0.0.1:5432/"


def fill_peer(survey_id: int, respondents: int, seed: int = 1) -> None:
    """Replace the peer's responses with ``respondents`` complete ones (answers 1–5)."""
    import psycopg

    rng = random.Random(seed)
    now = datetime.now(UTC)
    with psycopg.connect(POSTGRES + "peer_bench") as connection, connection.cursor() as cursor:
        cursor.execute("TRUNCATE survey_answer, survey_response RESTART IDENTITY")
        questions = [
            row[0]
            for row in cursor.execute(
                'SELECT id FROM survey_question WHERE survey_id = %s ORDER BY "order"', (survey_id,)
            )
        ]
        responses = "COPY survey_response (created, updated, survey_id, interview_uuid) FROM STDIN"
        with cursor.copy(responses) as copy:
            for _ in range(respondents):
                copy.write_row((now, now, survey_id, uuid.uuid4().hex))
        ids = [row[0] for row in cursor.execute("SELECT id FROM survey_response ORDER BY id")]
        buffer = io.StringIO()
        stamp = now.isoformat()
        for response in ids:
            for question in questions:
                buffer.write(f"{question}\t{response}\t{stamp}\t{stamp}\t{rng.randint(1, 5)}\n")
        answers = "COPY survey_answer (question_id, response_id, created, updated, body) FROM STDIN"
        with cursor.copy(answers) as copy:
            copy.write(buffer.getvalue())
        cursor.execute("ANALYZE survey_response")
        cursor.execute("ANALYZE survey_answer")


def fill_perception(env: dict, respondents: int) -> None:
    """One wave of ``respondents`` in the `bench` survey, scored and published."""
    for command in (
        [sys.executable, "-m", "benchmarks.generate", "--respondents", str(respondents), "--waves", "1"],
        [sys.executable, "manage.py", "rebuild_scores", "--survey", "bench"],
        [sys.executable, "manage.py", "publish_figures", "--survey", "bench"],
    ):
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)


def timed_process(command: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[1:4])} failed:\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def run_jobs(
    perception: dict, peer: dict, sizes: list[int], export_size: int, runs: int, export_runs: int
) -> dict:
    """``perception`` and ``peer``: {"env", "cwd", "python", "survey"}. Returns, per job,
    each side's seconds of every run."""
    manage = "import sys; from django.core.management import execute_from_command_line; "
    manage += "execute_from_command_line(['manage.py', *sys.argv[1:]])"
    peer_command = [str(peer["python"]), "-c", manage, "exportresult", "--force"]
    peer_command += ["--survey-id", str(peer["survey"])]
    jobs = {
        "analysis": (
            [sys.executable, "manage.py", "trends", "--survey", "bench", "--json"],
            [*peer_command, "--tex"],
        ),
        "export": (
            [sys.executable, "-m", "benchmarks.raw_export"],
            [*peer_command, "--csv"],
        ),
    }
    results: dict = {}
    for size in sorted(set(sizes) | {export_size}):
        print(f"  analysis/export data: {size:,} respondents", flush=True)
        fill_perception(perception["env"], size)
        fill_peer(peer["survey"], size)
        for job, (ours, theirs) in jobs.items():
            if (job == "analysis" and size not in sizes) or (job == "export" and size != export_size):
                continue
            key = f"{job} {size}"
            # Interleaved: Perception, the peer, Perception, …
            for _ in range(runs if job == "analysis" else export_runs):
                seconds, output = timed_process(ours, ROOT, perception["env"])
                results.setdefault(key, {"Perception": [], "peer": []})["Perception"].append(seconds)
                if job == "export":
                    results[key]["perception_rows"] = json.loads(output.strip().splitlines()[-1])["rows"]
                seconds, _ = timed_process(theirs, peer["cwd"], peer["env"])
                results[key]["peer"].append(seconds)
                if job == "analysis":
                    # The command reads the document stored when the wave was published;
                    # computed afresh, every figure, it is what publishing costs once.
                    seconds, _ = timed_process([*ours, "--fresh"], ROOT, perception["env"])
                    results[key].setdefault("Perception, --fresh", []).append(seconds)
            if job == "export":
                csv = Path(peer["cwd"], "out", "pulse.csv")
                results[key]["peer_rows"] = csv.read_text(encoding="utf-8").count("\n")
            print(f"  {key}: {json.dumps(results[key])}", flush=True)
    return results


def table(results: dict, peer_name: str) -> list[str]:
    lines = [
        f"| job | respondents | Perception, median (s) | runs (s) | {peer_name}, median (s) | runs (s) "
        "| peer ÷ Perception |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, runs in results.items():
        job, size = key.split()
        ours, theirs = statistics.median(runs["Perception"]), statistics.median(runs["peer"])
        label = "analysis of one wave (stored document)" if job == "analysis" else "raw CSV export"
        lines.append(
            f"| {label} | {int(size):,} | {ours:.2f} | {', '.join(f'{s:.2f}' for s in runs['Perception'])} "
            f"| {theirs:.2f} | {', '.join(f'{s:.2f}' for s in runs['peer'])} | {theirs / ours:.1f}× |"
        )
        if "Perception, --fresh" in runs:
            fresh = runs["Perception, --fresh"]
            ours = statistics.median(fresh)
            lines.append(
                f"| analysis of one wave, computed afresh (`--fresh`) | {int(size):,} | {ours:.2f} "
                f"| {', '.join(f'{s:.2f}' for s in fresh)} | {theirs:.2f} | (the same runs) "
                f"| {theirs / ours:.1f}× |"
            )
    return lines

"""`make bench-peer`: Perception beside django-survey-and-report 1.5.0, the same jobs in
the same run, interleaved, on the same PostgreSQL.

    python -m benchmarks.peer [--duration 60] [--runs 3] [--quick] [--output BENCHMARKS.md]

The peer is installed from PyPI into its own throwaway virtualenv (.bench-peer/,
gitignored) with a minimal project around it: one survey of 25 rating questions (radio,
1–5). Perception gets the same: one survey of 25 agreement statements on its open link
(kiosk mode and no burst limit, so every respondent may answer). Jobs: submissions
(benchmarks.load: GET + POST per respondent, 16 client threads on one core, gunicorn
with 2 sync workers on the other); then analysis of one wave of 2,000 and of 20,000
respondents and the raw CSV export of 20,000 (benchmarks.peer_reports). ``--quick``: 10 s
of load, 2,000 respondents only, one run each.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import load, peer_reports

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / ".bench-peer"
PEER_PYTHON = PEER / "venv" / "bin" / "python"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/"
QUESTIONS = 25

PEER_SETTINGS = """
from pathlib import Path
SECRET_KEY = "peer-benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles", "survey",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "peerproject.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [], "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages"]}}]
import os
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "peer_bench", "USER": "postgres",
    "HOST": "127.0.0.1", "PORT": "5432"}}
if os.environ.get("PEER_SQLITE"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["PEER_SQLITE"],
        "OPTIONS": {"timeout": 20}}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
STATIC_URL = "/static/"
LOGIN_URL = "/admin/login/"
USE_TZ = True
CSV_DIRECTORY = Path(__file__).resolve().parent.parent / "out"
TEX_DIRECTORY = CSV_DIRECTORY
"""

PEER_URLS = """
from django.contrib import admin
from django.urls import include, path
urlpatterns = [path("admin/", admin.site.urls), path("survey/", include("survey.urls"))]
"""

PEER_WSGI = """
import os
from django.core.wsgi import get_wsgi_application
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproject.settings")
application = get_wsgi_application()
"""

PEER_SEED = f"""
from survey.models import Category, Question, Survey
survey = Survey.objects.create(name="Pulse", description="Bench", is_published=True, need_logged_user=False,
    editable_answers=False, display_method=Survey.ALL_IN_ONE_PAGE)
for order in range({QUESTIONS}):
    Question.objects.create(survey=survey, text=f"Statement {{order + 1}}", order=order, required=True,
        type=Question.RADIO, choices="1,2,3,4,5")
print("survey", survey.pk)
"""

PERCEPTION_SEED = f"""
from surveys.models import Question
from tests.factories import add_question, make_survey, make_wave
survey = make_survey(slug="bench-submissions", kiosk_mode=True)
for order in range({QUESTIONS}):
    add_question(survey, Question.RATING_5, text=f"Statement {{order + 1}}", dimension=f"Part {{order % 5}}")
make_wave(survey, "open")
print("survey", survey.pk)
"""


def recreate_database(name: str, sqlite: Path | None = None) -> None:
    if sqlite is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{sqlite}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")


def install_peer() -> None:
    """The peer in its own virtualenv, with a minimal project (idempotent)."""
    if not PEER_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER / "venv")], check=True)
    subprocess.run(
        [
            *(str(PEER_PYTHON), "-m", "pip", "install", "--quiet"),
            *("django-survey-and-report==1.5.0", "gunicorn==27.0.1", "psycopg[binary]==3.3.9"),
        ],
        check=True,
    )
    project = PEER / "project" / "peerproject"
    project.mkdir(parents=True, exist_ok=True)
    (project / "__init__.py").write_text("")
    (project / "settings.py").write_text(PEER_SETTINGS)
    (project / "urls.py").write_text(PEER_URLS)
    (project / "wsgi.py").write_text(PEER_WSGI)
    (PEER / "project" / "out").mkdir(exist_ok=True)


# With ``--database sqlite``, each side's database file (the submissions only).
SQLITE_FILES = {"Perception": PEER / "perception.sqlite3", "peer": PEER / "peer.sqlite3"}


def peer_env(sqlite: bool = False) -> dict:
    return os.environ | {
        "DJANGO_SETTINGS_MODULE": "peerproject.settings",
        "PYTHONPATH": str(PEER / "project"),
        "PEER_SQLITE": str(SQLITE_FILES["peer"]) if sqlite else "",
    }


def perception_env(sqlite: bool = False) -> dict:
    url = f"sqlite:///{SQLITE_FILES['Perception']}" if sqlite else POSTGRES + "perception_bench_submissions"
    return os.environ | {
        "DATABASE_URL": url,
        "SECRET_KEY": "perception-benchmark-only-secret-key-long-enough-for-django",
        "INVITATION_ADDRESS_KEY": "kzGlb0nV1uC1lSiqK6bfZDc0b5y4Yx3r9N2Fw7bJ0wE=",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "OPEN_LINK_BURST_LIMIT": "1000000000",
        "SECURE_SSL_REDIRECT": "0",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "perception.settings",
    }


def django_admin(python: Path | str, cwd: Path, env: dict, *args: str) -> str:
    command = [
        str(python),
        "-c",
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', *sys.argv[1:]])",
        *args,
    ]
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{done.stderr[-3000:]}")
    return done.stdout


def perception_fill(page: str) -> dict[str, str]:
    fields = {"csrfmiddlewaretoken": load.csrf_token(page)}
    for name in sorted(set(re.findall(r'name="(q\d+)"', page))):
        fields[name] = "4"
    return fields


def peer_fill(page: str) -> dict[str, str]:
    fields = {"csrfmiddlewaretoken": load.csrf_token(page)}
    for name in sorted(set(re.findall(r'name="(question_\d+)"', page))):
        fields[name] = "4"
    return fields


def stored(python, cwd, env, code: str) -> int:
    return int(django_admin(python, cwd, env, "shell", "-c", code).strip().splitlines()[-1])


def timed(python, cwd, env, *args) -> float:
    began = time.perf_counter()
    django_admin(python, cwd, env, *args)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=60, help="seconds of load per side (default 60)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each analysis and export (default 3)")
    parser.add_argument(
        "--export-runs", type=int, default=1, help="runs of the raw export (default 1: the peer's is slow)"
    )
    parser.add_argument("--quick", action="store_true", help="10 s of load, 2,000 respondents, one run")
    parser.add_argument(
        "--database",
        choices=["postgresql", "sqlite"],
        default="postgresql",
        help="both sides on PostgreSQL (every job), or on SQLite files (the submissions only)",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    sqlite = args.database == "sqlite"
    sizes, export_size = [2000, 20000], 20000
    if args.quick:
        args.duration, args.runs, args.export_runs, sizes, export_size = 10, 1, 1, [2000], 2000
    install_peer()
    sides = {
        "Perception": (sys.executable, ROOT, perception_env(sqlite), "perception.wsgi", perception_fill),
        "django-survey-and-report 1.5.0": (
            PEER_PYTHON,
            PEER / "project",
            peer_env(sqlite),
            "peerproject.wsgi",
            peer_fill,
        ),
    }
    paths, surveys = {}, {}
    for name, database in (
        ("Perception", "perception_bench_submissions"),
        ("django-survey-and-report 1.5.0", "peer_bench"),
    ):
        python, cwd, env, _, _ = sides[name]
        recreate_database(
            database, SQLITE_FILES["Perception" if name == "Perception" else "peer"] if sqlite else None
        )
        django_admin(python, cwd, env, "migrate", "--no-input", "-v0")
        if name == "Perception":  # served by whitenoise from its manifest when DEBUG is off
            django_admin(python, cwd, env, "collectstatic", "--no-input", "-v0")
        seed = PERCEPTION_SEED if name == "Perception" else PEER_SEED
        survey = re.search(r"survey (\d+)", django_admin(python, cwd, env, "shell", "-c", seed)).group(1)
        paths[name] = "/s/bench-submissions/" if name == "Perception" else f"/survey/{survey}/"
        surveys[name] = int(survey)
    results = {}
    # Interleaved: each side's load, one after the other, twice, halves of the duration.
    for _half in range(2):
        for name, (python, cwd, env, wsgi, fill) in sides.items():
            server = load.start_server(str(python), wsgi, cwd, env)
            try:
                measured = load.submissions(server, paths[name], fill, args.duration / 2)
            finally:
                server.stop()
            results.setdefault(name, []).append(measured)
    counts = {
        "Perception": stored(
            sys.executable,
            ROOT,
            perception_env(sqlite),
            "from surveys.models import Response; print(Response.objects.count())",
        ),
        "django-survey-and-report 1.5.0": stored(
            PEER_PYTHON,
            PEER / "project",
            peer_env(sqlite),
            "from survey.models import Response; print(Response.objects.count())",
        ),
    }
    summary = {}
    for name, runs in results.items():
        accepted = sum(r["accepted"] + r["warm_up"] for r in runs)
        summary[name] = {
            "per_second": round(sum(r["per_second"] for r in runs) / len(runs), 1),
            "p50": max(r["p50"] for r in runs),
            "p95": max(r["p95"] for r in runs),
            "errors": sum(r["errors"] for r in runs),
            "accepted": accepted,
            "stored": counts[name],
            # Weighted by what each run accepted (a run that accepted nothing has no figure).
            "cpu_ms": round(
                sum(r["cpu_ms_per_accepted"] * r["accepted"] for r in runs if r["accepted"])
                / sum(r["accepted"] for r in runs),
                1,
            )
            if any(r["accepted"] for r in runs)
            else None,
        }
    print(json.dumps(summary, indent=2))
    for name, runs in results.items():
        print(f"  {name}, each half: {json.dumps(runs)}", flush=True)
    if any(entry["cpu_ms"] is None for entry in summary.values()):
        raise SystemExit("a side accepted no respondent in its runs: see each half above")
    if sqlite:
        write_sqlite(summary, args.duration, args.output)
        return
    peer_name = "django-survey-and-report 1.5.0"
    reports = peer_reports.run_jobs(
        {"env": perception_env(), "cwd": ROOT, "python": sys.executable, "survey": surveys["Perception"]},
        {"env": peer_env(), "cwd": PEER / "project", "python": PEER_PYTHON, "survey": surveys[peer_name]},
        sizes,
        export_size,
        args.runs,
        args.export_runs,
    )
    write(summary, args.duration, args.output, reports)


def submissions_table(summary: dict, duration: float, database: str) -> list[str]:
    ours, theirs = summary["Perception"], summary["django-survey-and-report 1.5.0"]
    load_average = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {load_average} at the end (the machine is shared: "
        "the CPU seconds per respondent, read from the workers' /proc times, are the measure to trust; "
        f"throughput and latency move with the other load). {duration:g} s of load per side in two "
        "interleaved halves; 16 client threads on core 0, gunicorn with 2 sync workers on core 1, "
        f"{database} for both; 25 rating questions; each respondent a new browser (GET + POST).",
        "",
        "| project | respondents/s | p50 (s) | p95 (s) | errors | accepted | stored "
        "| server CPU per respondent (ms) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in summary.items():
        lines.append(
            f"| {name} | {row['per_second']} | {row['p50']} | {row['p95']} | {row['errors']} | "
            f"{row['accepted']} | {row['stored']} | {row['cpu_ms']} |"
        )
    ratio = theirs["cpu_ms"] / ours["cpu_ms"] if ours["cpu_ms"] else float("nan")
    return [
        *lines,
        "",
        f"Peer's server CPU per respondent ÷ Perception's: **{ratio:.1f}×** (target ≥ 10×). "
        f"Perception's target ≤ 15 ms: {'met' if ours['cpu_ms'] <= 15 else 'missed'}; p95 ≤ 0.3 s: "
        f"{'met' if ours['p95'] <= 0.3 else 'missed'}; 0 errors and stored = accepted: "
        f"{'met' if ours['errors'] == 0 and ours['stored'] == ours['accepted'] else 'missed'}.",
    ]


def write_sqlite(summary: dict, duration: float, output: Path) -> None:
    block = "\n".join(
        [
            "<!-- peer-sqlite:start -->",
            "## Submissions beside a peer on SQLite (`make bench-peer PEER_ARGS=--database=sqlite`)",
            "",
            *submissions_table(summary, duration, "SQLite (a database file each)"),
            "<!-- peer-sqlite:end -->",
        ]
    )
    _replace_block(output, "peer-sqlite", block)


def _replace_block(output: Path, name: str, block: str) -> None:
    text = output.read_text() if output.exists() else "# Benchmarks\n"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start in text:
        text = re.sub(f"{re.escape(start)}.*{re.escape(end)}", lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    output.write_text(text)


def write(summary: dict, duration: float, output: Path, reports: dict) -> None:
    lines = [
        "<!-- peer:start -->",
        "## Submissions beside a peer (`make bench-peer`)",
        "",
        *submissions_table(summary, duration, "PostgreSQL 15"),
        "",
        "### Analysis and raw CSV export beside the peer",
        "",
        "Same run, same PostgreSQL; each job a new process timed from interpreter start to exit, "
        "Perception and the peer interleaved, median of the runs (each run is listed). "
        "Analysis: Perception's "
        "`manage.py trends --survey bench --json` over one wave; the peer has no results page, "
        "its analysis is `manage.py exportresult --tex --force` (its LaTeX report of counts and "
        "charts per question; compiling the PDF needs xelatex, not installed, and is left out). "
        "Raw CSV export: Perception's `/dashboard/responses.csv` through Django's test client "
        "(benchmarks.raw_export: permission, disclosure, streamed rows), the peer's "
        "`exportresult --csv --force` (the file its CSV view serves). Perception's wave: 23 "
        "agreement items, a 0–10 and a comment; the peer's: 25 radio questions (1–5), all answered.",
        "",
        *peer_reports.table(reports, "django-survey-and-report 1.5.0"),
        "",
        "Rows exported: "
        + "; ".join(
            f"{key}: Perception {runs['perception_rows']:,}, peer {runs['peer_rows']:,}"
            for key, runs in reports.items()
            if "peer_rows" in runs
        )
        + ".",
        "<!-- peer:end -->",
    ]
    _replace_block(output, "peer", "\n".join(lines))


if __name__ == "__main__":
    main()

"""`make bench`: time `manage.py trends --json` end to end on SQLite and PostgreSQL.

    python -m benchmarks.run [--respondents 20000] [--waves 6] [--runs 3]
                             [--databases sqlite,postgres] [--output BENCHMARKS.md]

For each database: a fresh bench database, migrations, the synthetic organisation of
``benchmarks.generate``, then ``--runs`` timed runs of the command in a new process each
(wall time from outside, peak memory of that process from the kernel). The median and
every run are written to BENCHMARKS.md with the machine and the date.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Issue 16: `trends --json` end to end ≤ 2 s, peak memory ≤ 1 GB at 3 M answers.
TARGETS = {"sqlite": 2.0, "postgresql": 2.0}
# Issue 16: 100,000 rows × 30 columns.
IMPORT_TARGETS = {"sqlite": 15.0, "postgresql": 20.0}
MEMORY_TARGET_MB = 1000
# Issue 16: the dashboard ≤ 1 s cold after a snapshot is published, ≤ 0.1 s warm and
# still warm after a new response; the trends document in a running server ≤ 0.5 s.
DASHBOARD_TARGETS = {"cold": 1.0, "cached": 0.1, "after_response": 0.1, "document": 0.5}
REQUEST_MEMORY_MB = 300  # issue 16: peak memory of any request
START, END = "<!-- trends:start -->", "<!-- trends:end -->"


def database_url(name: str) -> str:
    if name == "sqlite":
        path = ROOT / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    url = os.getenv("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/perception_bench")
    import psycopg

    server, _, database = url.rpartition("/")
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}"')
        connection.execute(f'CREATE DATABASE "{database}"')
    return url


def environment(url: str) -> dict:
    return os.environ | {
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key",
        "INVITATION_ADDRESS_KEY": "kzGlb0nV1uC1lSiqK6bfZDc0b5y4Yx3r9N2Fw7bJ0wE=",
        "DJANGO_SETTINGS_MODULE": "perception.settings",
    }


def timed_run(env: dict, *options: str) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one `trends --json` process."""
    command = [sys.executable, "manage.py", "trends", "--survey", "bench", "--json", *options]
    began = time.perf_counter()
    with open(os.devnull, "w") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("trends failed; run it by hand to see why")
    return elapsed, usage.ru_maxrss / 1024


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    system = f"{platform.system()} {platform.release()}"
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, {system}, Python {platform.python_version()}"
    )


def import_bench(env: dict, rows: int) -> float:
    """Seconds to import a synthetic export of ``rows`` rows (see benchmarks.imports)."""
    measured = subprocess.run(
        [sys.executable, "-m", "benchmarks.imports", "--rows", str(rows)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(measured.stdout.strip().splitlines()[-1])["seconds"]


def bench(name: str, respondents: int, waves: int, runs: int, import_rows: int) -> dict:
    print(f"== {name}: {respondents} respondents x {waves} waves", flush=True)
    url = database_url(name)
    env = environment(url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    import_empty = import_bench(env, import_rows) if import_rows else None
    if import_empty is not None:
        print(f"  import of {import_rows:,} rows into the empty database: {import_empty:.1f} s", flush=True)
    began = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.generate",
            "--respondents",
            str(respondents),
            "--waves",
            str(waves),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    # Scores are kept as responses arrive; the generator writes answers around the
    # services, so they are brought up to date here, as part of the data's making.
    subprocess.run(
        [sys.executable, "manage.py", "rebuild_scores", "--survey", "bench"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    generated = time.perf_counter() - began
    timed_run(env)  # publishes every wave, warms the operating system's file cache; not counted
    if name == "postgres":
        # Statistics for the planner after publishing millions of rows (autovacuum may be
        # off, as on the bench machine; a production server analyses them by itself).
        import psycopg

        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("ANALYZE")
    results = [timed_run(env) for _ in range(runs)]
    for index, (seconds, memory) in enumerate(results, 1):
        print(f"  run {index}: {seconds:.2f} s, peak {memory:.0f} MB", flush=True)
    # The same document computed afresh, every figure (what publishing does once).
    fresh = [timed_run(env, "--fresh") for _ in range(runs)]
    for index, (seconds, memory) in enumerate(fresh, 1):
        print(f"  run {index}, --fresh: {seconds:.2f} s, peak {memory:.0f} MB", flush=True)
    dashboard_env = env | {"ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0", "STATIC_MANIFEST": "0"}
    measured = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "benchmarks.dashboard", "--runs", str(runs)],
        cwd=ROOT,
        env=dashboard_env,
        check=True,
        capture_output=True,
        text=True,
    )
    dashboard = json.loads(measured.stdout.strip().splitlines()[-1])
    print(f"  dashboard: cold {dashboard['cold']}, cached {dashboard['cached']}", flush=True)
    import_seconds = import_bench(env, import_rows) if import_rows else None
    if import_seconds is not None:
        print(f"  import of {import_rows:,} rows into the full database: {import_seconds:.1f} s", flush=True)
    vendor = "postgresql" if name == "postgres" else "sqlite"
    return {
        "import_seconds": import_seconds,
        "import_empty": import_empty,
        "import_rows": import_rows,
        "dashboard": {key: statistics.median(values) for key, values in dashboard.items()},
        "database": vendor,
        "seconds": [round(s, 2) for s, _ in results],
        "median": statistics.median(s for s, _ in results),
        "memory": max(m for _, m in results),
        "fresh": [round(s, 2) for s, _ in fresh],
        "fresh_median": statistics.median(s for s, _ in fresh),
        "fresh_memory": max(m for _, m in fresh),
        "generated": generated,
        "target": TARGETS[vendor],
    }


def load_average() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def write(results: list[dict], respondents: int, waves: int, output: Path, load_before: str) -> None:
    today = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        START,
        "## `trends --json` end to end",
        "",
        f"Measured {today} on {machine()}; load average (1 / 5 / 15 min) {load_before} at the start, "
        f"{load_average()} at the end (the machine is shared).",
        f"Synthetic organisation: {respondents:,} respondents per wave × {waves} waves × 25 questions "
        f"(about {respondents * waves * 24.3 / 1e6:.1f} million answers), 8 departments, coded comments.",
        "Each run is a new `python manage.py trends --survey bench --json` process, timed from outside "
        "(interpreter start to exit); peak memory is that process's maximum resident set. The command "
        "reads the organisation-wide document stored by the last publication (built once, when the "
        "figures were published); with `--fresh` it computes every figure again, as publishing does.",
        "",
        "| database | median of runs (s) | runs (s) | `--fresh`: median (runs) (s) | target (s) "
        "| peak memory, `--fresh` peak (MB) | memory target (MB) | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        verdict = "met" if r["median"] <= r["target"] and r["memory"] <= MEMORY_TARGET_MB else "missed"
        lines.append(
            f"| {r['database']} | {r['median']:.2f} | {', '.join(f'{s:.2f}' for s in r['seconds'])} "
            f"| {r['fresh_median']:.2f} ({', '.join(f'{s:.2f}' for s in r['fresh'])}) "
            f"| {r['target']:g} | {r['memory']:.0f}, {r['fresh_memory']:.0f} | {MEMORY_TARGET_MB} "
            f"| {verdict} |"
        )
    lines += [
        "",
        "### Dashboard",
        "",
        "A signed-in viewer's request for `/dashboard/?survey=bench` through Django's test client "
        "(view, queries, template) in one process, after every wave was published: cold with an empty "
        "cache (the document stored by the publication: a restarted server, another machine), cold "
        "with nothing stored either (the document computed in the request, as after a renamed wave), "
        "then cached, then again right after a new response to the latest wave (stored through "
        "`response_submit`, as the public page does), then right after a listener coded one more "
        "comment (`answer_code`: the stored document's themes built again, its figures read back); "
        "one chart; and the trends document alone in the "
        "running process with an empty cache, read back and computed afresh. Median of the runs.",
        "",
        "| database | cold (s) | cold, nothing stored (s) | cached (s) "
        "| cached, right after a new response (s) | right after a coding (s) "
        "| document alone, running process (s) | the same computed afresh (s) | chart, cached (s) "
        "| peak memory of the process (MB) | verdict |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| target | {DASHBOARD_TARGETS['cold']:g} | | {DASHBOARD_TARGETS['cached']:g} "
        f"| {DASHBOARD_TARGETS['after_response']:g} | {DASHBOARD_TARGETS['cold']:g} "
        f"| {DASHBOARD_TARGETS['document']:g} | | "
        f"| {REQUEST_MEMORY_MB} | |",
    ]
    for r in results:
        d = r["dashboard"]
        met = all(d[key] <= target for key, target in DASHBOARD_TARGETS.items())
        met = met and d["after_coding"] <= DASHBOARD_TARGETS["cold"]  # a cold request, as after a publication
        met = met and d["peak_mb"] <= REQUEST_MEMORY_MB
        lines.append(
            f"| {r['database']} | {d['cold']:.2f} | {d['cold_unstored']:.2f} | {d['cached']:.3f} "
            f"| {d['after_response']:.3f} | {d['after_coding']:.2f} | {d['document']:.2f} "
            f"| {d['document_fresh']:.2f} "
            f"| {d['chart']:.3f} "
            f"| {d['peak_mb']:.0f} | {'met' if met else 'missed'} |"
        )
    lines += [
        "",
        "### Importing responses",
        "",
        "`manage.py import_responses` of a synthetic Google Forms export (30 columns: timestamp, department, "
        "25 agreement labels, a 0–10, a single and a multiple choice, a comment), one run each, process "
        "start to exit: reading, checking every cell, and storing every row in one transaction."
        " Once into the "
        "freshly migrated database, once into the bench database holding the synthetic organisation "
        "(2.8 million answers already).",
        "",
        "| database | rows | into an empty database (s) | into the full database (s) | target (s) "
        "| verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        if r["import_seconds"] is None:
            lines.append(f"| {r['database']} | not measured in this run | | | | |")
            continue
        empty, full = f"{r['import_empty']:.1f}", f"{r['import_seconds']:.1f}"
        target = IMPORT_TARGETS[r["database"]]
        verdict = "met" if max(r["import_empty"], r["import_seconds"]) <= target else "missed"
        lines.append(
            f"| {r['database']} | {r['import_rows']:,} | {empty} | {full} | {target:.0f} | {verdict} |"
        )
    lines += [
        "",
        "Data generation time (not part of the targets): "
        + ", ".join(f"{r['database']} {r['generated']:.0f} s" for r in results),
        END,
    ]
    section = "\n".join(lines)
    text = output.read_text() if output.exists() else "# Benchmarks\n\nWritten by `make bench`.\n\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    output.write_text(text)
    print(f"Wrote {output}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--respondents", type=int, default=20000, help="respondents per wave (default 20000)")
    parser.add_argument("--waves", type=int, default=6)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--import-rows", type=int, default=100_000, help="rows of the import benchmark (0: skip it)"
    )
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    load_before = load_average()
    results = [
        bench(name.strip(), args.respondents, args.waves, args.runs, args.import_rows)
        for name in args.databases.split(",")
    ]
    write(results, args.respondents, args.waves, args.output, load_before)


if __name__ == "__main__":
    main()

"""Server CPU per respondent on the public page (issue 16): a GET and a POST of the
open link of a 25-question agreement survey.

    DJANGO_SETTINGS_MODULE=perception.settings python -m benchmarks.public_page [--iterations 300] [--profile]

In process: Django's test client, reused, on a throwaway SQLite test database; prints CPU
milliseconds (time.process_time) per GET + POST, and with --profile a pyinstrument
profile of the loop.

    python -m benchmarks.public_page --gunicorn [--iterations 300] [--threads 1] [--profile]

Through gunicorn, as ``make bench-peer`` serves it (benchmarks.load: 2 sync workers pinned
to core 1, production settings, PostgreSQL database ``perception_public``, recreated,
migrated and seeded like the peer benchmark's), each respondent a new browser (a fresh
cookie jar: GET, then POST with the cookies and token the GET gave). Prints the workers'
CPU milliseconds (/proc user + system) per respondent, split into GET and POST when the
respondents come one at a time (``--threads 1``), and checks that every accepted answer
was stored. With --profile the workers run ``benchmarks.profiled_wsgi``, which samples
their CPU time, and write where it went to ``artifacts/public-profile/``.
"""

import argparse
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

QUESTIONS = 25
FORM = "application/x-www-form-urlencoded"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--gunicorn", action="store_true", help="through gunicorn on PostgreSQL")
    parser.add_argument("--threads", type=int, default=1, help="client threads (--gunicorn only)")
    parser.add_argument("--database", default=GUNICORN_DATABASE, help="PostgreSQL database (--gunicorn)")
    parser.add_argument(
        "--duration",
        type=float,
        help="--gunicorn: instead of --iterations, this many seconds of bench-peer's own load "
        "(benchmarks.load.submissions, 16 client threads unless --threads says otherwise)",
    )
    args = parser.parse_args()
    if args.gunicorn:
        through_gunicorn(args.iterations, args.threads, args.profile, args.database, args.duration)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perception.settings")
    os.environ.setdefault("OPEN_LINK_BURST_LIMIT", "1000000")
    # Production settings (DEBUG off: no query log), served as if behind HTTPS.
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret")
    os.environ.setdefault("INVITATION_ADDRESS_KEY", "YmVuY2htYXJrLW9ubHktYmVuY2htYXJrLW9ubHktMDA=")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "False")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment

    setup_test_environment()
    # Unbuilt static files: the plain storage (the manifest's lookups are a dict read).
    storages = dict(settings.STORAGES)
    storages["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES=storages).enable()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    from tests.factories import add_question, make_survey, make_wave

    survey = make_survey(slug="bench-public", kiosk_mode=True, ask_department=False)
    questions = [
        add_question(survey, "rating_5", f"Statement {n}", dimension=f"D{n % 5}") for n in range(QUESTIONS)
    ]
    make_wave(survey)
    data = {f"q{q.pk}": str(1 + n % 5) for n, q in enumerate(questions)}
    body = urlencode(data)
    client = Client(secure=True)
    url = f"/s/{survey.slug}/"

    spent_on = {"GET": 0.0, "POST": 0.0}

    def respondent() -> None:
        start = time.process_time()
        assert client.get(url).status_code == 200
        middle = time.process_time()
        # As a browser sends a form: urlencoded (the test client's default is multipart).
        assert client.post(url, body, content_type=FORM).status_code == 302
        spent_on["GET"] += middle - start
        spent_on["POST"] += time.process_time() - middle

    for _ in range(10):  # warm up: imports, template loading, caches
        respondent()
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    spent_on.update(GET=0.0, POST=0.0)
    start = time.process_time()
    for _ in range(args.iterations):
        respondent()
    spent = time.process_time() - start
    if profiler:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    per_respondent = spent / args.iterations * 1000
    get, post = (spent_on[m] / args.iterations * 1000 for m in ("GET", "POST"))
    print(
        f"{per_respondent:.1f} ms CPU per respondent (GET {get:.1f} + POST {post:.1f}), "
        f"{args.iterations} iterations"
    )


GUNICORN_DATABASE = "perception_public"
PROFILES = Path(__file__).resolve().parent.parent / "artifacts" / "public-profile"


def through_gunicorn(
    respondents: int, threads: int, profile: bool, database: str, duration: float | None = None
) -> None:
    """Serve the open link with gunicorn on PostgreSQL and play ``respondents`` new
    browsers against it; print the workers' CPU per respondent."""
    import sys

    from benchmarks import load, peer

    env = peer.perception_env() | {"DATABASE_URL": peer.POSTGRES + database}
    peer.recreate_database(database)
    peer.django_admin(sys.executable, peer.ROOT, env, "migrate", "--no-input", "-v0")
    peer.django_admin(sys.executable, peer.ROOT, env, "collectstatic", "--no-input", "-v0")
    peer.django_admin(sys.executable, peer.ROOT, env, "shell", "-c", peer.PERCEPTION_SEED)
    wsgi = "perception.wsgi"
    if profile:
        PROFILES.mkdir(parents=True, exist_ok=True)
        for old in PROFILES.glob("worker-*"):
            old.unlink()
        env |= {"PROFILE_DIRECTORY": str(PROFILES)}
        wsgi = "benchmarks.profiled_wsgi"
    path = "/s/bench-submissions/"
    server = load.start_server(sys.executable, wsgi, peer.ROOT, env)
    if duration:
        try:
            measured = load.submissions(server, path, peer.perception_fill, duration, max(threads, 16))
        finally:
            server.stop()
        load_average = " / ".join(f"{x:.2f}" for x in os.getloadavg())
        stored = _stored(env)
        print(f"{measured}; stored {stored}; load average {load_average}")
        return
    try:
        os.sched_setaffinity(0, {0})
        booted = server.workers_cpu()
        warmed = load.warm_up(server, path, peer.perception_fill, max(threads, 4))
        warm = server.workers_cpu()
        print(
            "workers' CPU when the port answered (ms): "
            + ", ".join(f"{1000 * booted[p]:.0f}" for p in booted)
            + f"; over {warmed} warm-up respondents: "
            + ", ".join(f"{1000 * (warm[p] - booted[p]):.0f}" for p in booted)
        )
        if threads > 1:
            measured = _threaded(server, path, respondents, threads)
        else:
            measured = _one_at_a_time(server, path, respondents)
    finally:
        server.stop()
    stored = _stored(env)
    accepted = measured["accepted"] + warmed
    load_average = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{measured['cpu_ms']:.1f} ms worker CPU per respondent{measured.get('split', '')}; "
        f"{respondents} respondents, {threads} client thread(s), {measured['errors']} errors, "
        f"accepted {accepted}, stored {stored}; load average {load_average}"
    )
    if profile:
        print(f"profiles: {PROFILES}/worker-*.txt")


def _stored(env: dict) -> int:
    """How many responses the database holds."""
    import sys

    from benchmarks import peer

    count = "from surveys.models import Response; print(Response.objects.count())"
    return int(
        peer.django_admin(sys.executable, peer.ROOT, env, "shell", "-c", count).strip().splitlines()[-1]
    )


def _one_at_a_time(server, path: str, respondents: int) -> dict:
    """One new browser after another, the workers' CPU read around the GET and the POST."""
    from benchmarks import load, peer

    opener = urllib.request.build_opener(load._NoRedirect)
    url = server.base + path
    https = url.replace("http://", "https://", 1)
    proxy = {"X-Forwarded-Proto": "https", "Referer": https, "Origin": https.split(path)[0]}
    spent = {"GET": 0.0, "POST": 0.0}
    errors = accepted = 0
    for _ in range(respondents):
        before = server.workers_cpu()
        got = opener.open(urllib.request.Request(url, headers=proxy), timeout=60)  # noqa: S310 - our server
        page = got.read().decode()
        middle = server.workers_cpu()
        cookies = "; ".join(c.split(";", 1)[0] for c in got.headers.get_all("Set-Cookie") or [])
        body = urllib.parse.urlencode(peer.perception_fill(page)).encode()
        request = urllib.request.Request(url, data=body, headers=proxy | {"Cookie": cookies})  # noqa: S310
        try:
            status = opener.open(request, timeout=60).status
        except urllib.error.HTTPError as error:
            status = error.code
        after = server.workers_cpu()
        spent["GET"] += sum(middle[p] - before[p] for p in before)
        spent["POST"] += sum(after[p] - middle[p] for p in before)
        ok = status in (301, 302, 303)
        accepted += ok
        errors += not ok
    get, post = (1000 * spent[m] / respondents for m in ("GET", "POST"))
    return {
        "cpu_ms": get + post,
        "split": f" (GET {get:.1f} + POST {post:.1f})",
        "accepted": accepted,
        "errors": errors,
    }


def _threaded(server, path: str, respondents: int, threads: int) -> dict:
    """``respondents`` new browsers shared among ``threads`` client threads."""
    import threading

    from benchmarks import load, peer

    remaining = [respondents]
    outcome = {"accepted": 0, "errors": 0}
    lock = threading.Lock()

    def player() -> None:
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            try:
                ok = load.respond(server.base, path, peer.perception_fill)
            except Exception:
                ok = False
            with lock:
                outcome["accepted" if ok else "errors"] += 1

    before = server.workers_cpu()
    load.run_threads(player, threads)
    after = server.workers_cpu()
    cpu = sum(after[p] - before.get(p, 0.0) for p in after)
    return outcome | {"cpu_ms": 1000 * cpu / respondents}


if __name__ == "__main__":
    main()

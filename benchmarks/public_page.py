"""Server CPU per respondent on the public page (issue 16): a GET and a POST of the
open link of a 25-question agreement survey, in-process through Django's test client.

    DJANGO_SETTINGS_MODULE=perception.settings python -m benchmarks.public_page [--iterations 300] [--profile]

Uses a throwaway SQLite test database; prints CPU milliseconds (time.process_time) per
GET + POST, and with --profile a pyinstrument profile of the loop.
"""

import argparse
import os
import time
from urllib.parse import urlencode

QUESTIONS = 25
FORM = "application/x-www-form-urlencoded"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()

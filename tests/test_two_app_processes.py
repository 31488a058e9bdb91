"""Two app processes on one PostgreSQL database and one Redis, as in production: the
open-link burst limit counts across both, a session made on one is good on the other,
and both serve the same published figures.

Runs only where PostgreSQL (127.0.0.1:5432, user postgres, trust auth) and Redis
(127.0.0.1:6379) answer; skipped otherwise. Uses its own database and Redis database
(13, or one below per xdist worker), both emptied first."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Under pytest-xdist each worker that runs a test of this module sets the pair up for
# itself (the fixture is per module, per worker): its own database and Redis database.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
WORKER_NUMBER = int(WORKER.removeprefix("gw") or 0) if WORKER.startswith("gw") else 0
DATABASE = f"perception_two_processes_{WORKER_NUMBER}"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
REDIS_URL = f"redis://127.0.0.1:6379/{13 - WORKER_NUMBER % 8}"
LIMIT = 4


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except Exception:  # any failure means "not here"
        return False


pytestmark = pytest.mark.skipif(
    not (_answers("127.0.0.1", 5432) and _redis_answers()),
    reason="needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379",
)

SEED = """
from datetime import timedelta
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from surveys.models import Question
from tests.factories import add_question, add_response, make_departments, make_past_waves
from tests.factories import make_survey, make_user, make_wave

survey = make_survey(slug="two", kiosk_mode=True)
question = add_question(survey, Question.RATING_5)
(closed,) = make_past_waves(survey, ["2026 Q1"])
finance, sales = make_departments("Finance", "Sales")
for number in range(14):
    add_response(closed, {question: 1 + number % 5}, department=finance if number % 2 else sales)
make_wave(survey, "open", label="2026 Q4")
user = make_user("viewer", "Viewers")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print("question", question.pk)
print("session", session.session_key)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment() -> dict:
    return os.environ | {
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "1",
        "SECRET_KEY": "two-processes-test-secret-key-long-enough-for-django-50-chars",
        "OPEN_LINK_BURST_LIMIT": str(LIMIT),
        "TRUSTED_PROXY_HOPS": "0",
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture(scope="module")
def two_processes():
    import psycopg
    import redis

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = _environment()
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True, timeout=600)
    seeded = subprocess.run(
        [*manage, "shell", "-c", SEED],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    question = int(re.search(r"question (\d+)", seeded).group(1))
    session = re.search(r"session (\w+)", seeded).group(1)
    ports = [_free_port(), _free_port()]
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "perception.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    try:
        deadline = time.monotonic() + 120
        while not all(_answers("127.0.0.1", port) for port in ports):
            assert time.monotonic() < deadline, "the app processes did not start"
            assert all(s.poll() is None for s in servers), "an app process exited"
            time.sleep(0.5)
        yield {"ports": ports, "question": question, "session": session}
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        redis.Redis.from_url(REDIS_URL).flushdb()
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _submit(port: int, question: int) -> int:
    """One open-link submission by a new browser (its own cookies): the form, then the answers."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/s/two/", timeout=60).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, f"q{question}": "4"}).encode()
    request = urllib.request.Request(f"{base}/s/two/", data=body, headers={"Referer": f"{base}/s/two/"})  # noqa: S310
    try:
        return opener.open(request, timeout=60).status
    except urllib.error.HTTPError as error:
        return error.code


def _get(port: int, path: str, session: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={session}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310 - our own server
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_the_open_link_burst_limit_counts_across_both_processes(two_processes):
    """Submissions alternated between the two reach the limit together, not each on its own."""
    first, second = two_processes["ports"]
    question = two_processes["question"]
    statuses = [_submit(port, question) for port in [first, second] * LIMIT]
    assert statuses[:LIMIT] == [302] * LIMIT
    assert statuses[LIMIT:] == [429] * LIMIT


def test_both_processes_serve_the_same_published_figures_to_one_session(two_processes):
    """A session made once is good on both; the export reads the same published rows."""
    first, second = two_processes["ports"]
    session = two_processes["session"]
    path = "/dashboard/export.csv?survey=two"
    status_second, body_second = _get(second, path, session)
    status_first, body_first = _get(first, path, session)
    assert (status_first, status_second) == (200, 200)
    assert body_first == body_second
    assert b"2026 Q1" in body_first and b"14" in body_first

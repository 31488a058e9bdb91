"""Settings come from the environment; production settings pass Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INVITATION_KEY = "kzGlb0nV1uC1lSiqK6bfZDc0b5y4Yx3r9N2Fw7bJ0wE="  # a Fernet key, for these tests only


def manage(*args, **env) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "INVITATION_ADDRESS_KEY"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_the_deploy_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        INVITATION_ADDRESS_KEY=INVITATION_KEY,
        ALLOWED_HOSTS="perception.example.org",
        DEBUG="0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_debug_the_invitation_address_key_is_required():
    """Addresses are encrypted with a key of their own, never one derived in production."""
    result = manage("check", DEBUG="0", SECRET_KEY="a-long-random-production-secret-" + "x" * 40)
    assert result.returncode != 0
    assert "Set INVITATION_ADDRESS_KEY in the environment" in result.stderr


def test_in_development_the_invitation_address_key_comes_from_the_secret_key():
    result = manage(
        "shell",
        "-c",
        "from perception.lib import sealed; print(sealed.unseal(sealed.seal('ana@example.org')))",
        DEBUG="1",
    )
    assert result.stdout.strip().splitlines()[-1] == "ana@example.org", result.stderr


def test_without_debug_a_secret_key_is_required():
    result = manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "Set SECRET_KEY in the environment" in result.stderr


def test_a_missing_setting_is_one_readable_line_not_a_traceback():
    result = manage("migrate", DEBUG="0")  # migrate reads the databases while parsing its arguments
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "manage.py: Set SECRET_KEY in the environment (or DEBUG=1 for development)."
    ]


def test_database_url_selects_postgresql():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])",
        DEBUG="1",
        DATABASE_URL="postgres://someone@db.example:5432/perception",
    )
    assert result.stdout.strip().endswith("django.db.backends.postgresql"), result.stderr


def test_redis_shares_the_cache_and_sessions_and_axes_counts_in_the_database():
    """With REDIS_URL every machine counts open-link bursts and reads sessions in one place."""
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.CACHES['default']['BACKEND'], s.SESSION_ENGINE, s.AXES_HANDLER)",
        DEBUG="1",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert result.stdout.split()[-3:] == [
        "django.core.cache.backends.redis.RedisCache",
        "django.contrib.sessions.backends.cached_db",
        "axes.handlers.database.AxesDatabaseHandler",
    ], result.stderr


def test_database_replica_url_adds_a_mirrored_replica_and_the_router():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.DATABASES['replica']['HOST'], s.DATABASES['replica']['TEST']['MIRROR'], s.DATABASE_ROUTERS)",
        DEBUG="1",
        DATABASE_URL="postgres://someone@db.example:5432/perception",
        DATABASE_REPLICA_URL="postgres://someone@replica.example:5432/perception",
    )
    expected = "replica.example default ['perception.routers.ReadReplicaRouter']"
    assert expected in result.stdout, result.stderr

import shutil
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

from perception.models import forget_recent_rows
from surveys.models import Question
from tests.factories import add_question, make_departments, make_survey, make_wave


@pytest.fixture
def every_kind(db):
    """An open survey with one question of every kind; the 0–10 and single-choice ones required."""
    survey = make_survey()
    wave = make_wave(survey)
    make_departments("Finance", "Sales")
    questions = {
        "rating_5": add_question(survey, Question.RATING_5, dimension="Reliability"),
        "rating_7": add_question(survey, Question.RATING_7),
        "scale_10": add_question(survey, Question.SCALE_10, required=True),
        "single": add_question(survey, Question.SINGLE, choices=["Laptop", "Desktop"], required=True),
        "multiple": add_question(survey, Question.MULTIPLE, choices=["Email", "Chat", "Phone"]),
        "text": add_question(survey, Question.TEXT),
    }
    return survey, wave, questions


def pytest_configure(config):
    """Password hashing is slow by design (PBKDF2's many rounds); the tests make hundreds
    of users, and what they check is who may do what, not the hash. Production keeps
    Django's default hashers."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache, so open-link burst counts never carry over,
    and reads the site settings afresh."""
    cache.clear()
    forget_recent_rows()


LOCALE = Path(__file__).resolve().parents[1] / "locale"


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """The compiled .mo files are committed; rebuild any older than its .po when gettext is here."""
    stale = [
        po
        for po in LOCALE.glob("*/LC_MESSAGES/*.po")
        if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale and shutil.which("msgfmt"):
        call_command("compilemessages", locale=sorted({po.parts[-3] for po in stale}), verbosity=0)
